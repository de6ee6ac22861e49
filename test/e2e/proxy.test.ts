import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/env.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { startTestProxy, type TestProxy } from "../helpers/proxy.js";
import { createWorkspace, startCli, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1001234567890;

/** The Bot API method of a request path as the fake logs it (`download` for file downloads). */
const methodOf = (path: string): string => {
  const file = /^\/file\/bot[^/]+\//.exec(path);
  if (file) return "download";
  return /^\/bot[^/]+\/([A-Za-z0-9_]+)/.exec(path)?.[1] ?? `?${path}`;
};
const sorted = (xs: string[]) => [...xs].sort();

/**
 * TELEGRAM_PROXY: every Bot API request of a backup (uploads, read-back getFile + downloads,
 * the catalog, notifications), of `verify`, and of the running bot (polling) goes through the
 * proxy. The proxies count the HTTP requests inside their tunnels; the fake Bot API logs what
 * it received: the two lists must be the same, request for request.
 */
describe.each(["http", "socks5"] as const)("Bot API traffic through a %s proxy", (kind) => {
  let fake: FakeTelegram;
  let proxy: TestProxy;
  let ws: Workspace;
  let db: PgDatabase;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    proxy = await startTestProxy(kind, kind === "socks5" ? { auth: { user: "tb", pass: "proxy-pass" } } : {});
    db = await createPgDatabase(`proxy_${kind}`);
    await db.query("create table t as select g as id, md5(g::text) as v from generate_series(1, 70000) g");
    ws = createWorkspace({
      BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_SELF_HOSTED: "false",
      TELEGRAM_PROXY: proxy.url,
      ADMIN_IDS: String(ADMIN),
    });
    const yaml = `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, password: "" }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: app, source: app-db, destinations: [channel], schedule: "0 3 * * *", compression: none, part_size: 1MiB }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    await proxy?.close();
    await fake?.close();
    await db?.drop();
    ws?.remove();
  });

  it("a backup, its read-back and verify send every request through the proxy", async () => {
    const backup = await ws.cli(["backup", "app"]);
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
    const runId = /run #?(\d+)/i.exec(backup.stdout + backup.stderr)?.[1] ?? "1";
    const verify = await ws.cli(["verify", runId]);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);

    const seen = sorted(proxy.requests.map((r) => methodOf(r.path)));
    const received = sorted(fake.requests.map((r) => r.method));
    expect(received.filter((m) => m === "sendDocument").length).toBeGreaterThan(2);
    expect(received).toContain("getFile");
    expect(received).toContain("download");
    expect(received).toContain("sendMessage");
    expect(seen).toEqual(received);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(fake.apiRoot).host]));
  });

  it("the running bot polls through the proxy", async () => {
    const before = fake.requests.length;
    const daemon = startCli(ws.env, ["run"]);
    try {
      const deadline = Date.now() + 30_000;
      while (!fake.requests.slice(before).some((r) => r.method === "getUpdates") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fake.requests.slice(before).some((r) => r.method === "getUpdates")).toBe(true);
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.result;
    }
    const seen = sorted(proxy.requests.map((r) => methodOf(r.path)));
    const received = sorted(fake.requests.map((r) => r.method));
    expect(seen).toEqual(received);
  });
});

describe("TELEGRAM_PROXY validation", () => {
  const base = { ADMIN_IDS: "1", MASTER_KEY: "proxy-test-master-key-0123456789-abcdef" };
  it("accepts http, https and socks5 proxies and refuses anything else, naming the variable and not echoing the value", () => {
    for (const url of ["http://proxy:3128", "https://proxy:443", "socks5://user:pw@proxy:1080", "socks5h://proxy:1080"]) {
      expect(loadConfig({ ...base, TELEGRAM_PROXY: url }).telegramProxy).toBe(url);
    }
    expect(loadConfig(base).telegramProxy).toBeUndefined();
    for (const bad of ["ftp://proxy:21", "proxy:3128", "socks4://s3cr3t-pass@proxy:1080"]) {
      const err = (() => {
        try {
          loadConfig({ ...base, TELEGRAM_PROXY: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(/^TELEGRAM_PROXY: must be a proxy URL/);
      expect((err as ConfigError).message).not.toContain("s3cr3t");
    }
  });
});
