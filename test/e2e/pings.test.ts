import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

interface Hit {
  method: string;
  url: string;
  type: string;
  body: string;
}

/** A monitoring service on localhost: records every request; answers 500 under /broken/. */
async function startMonitor(): Promise<{ server: Server; base: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      hits.push({ method: req.method ?? "", url: req.url ?? "", type: String(req.headers["content-type"] ?? ""), body });
      res.statusCode = req.url?.startsWith("/broken/") ? 500 : 200;
      res.end("OK");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** External pings (healthchecks.io conventions) and the JSON webhook, through the CLI. */
describe("external pings and webhook", () => {
  let ws: Workspace;
  let monitor: Awaited<ReturnType<typeof startMonitor>>;
  const check = randomUUID();
  const hookToken = `wh-${randomUUID()}`;
  const deadToken = `dead-${randomUUID()}`;
  let deadPort = 0;

  beforeAll(async () => {
    monitor = await startMonitor();
    deadPort = await closedPort();
    ws = createWorkspace({ HC_URL: `${monitor.base}/ping/${check}-ref` });
    const db = new Database(path.join(ws.dir, "app.sqlite"));
    db.exec("create table t (x); insert into t values (1);");
    db.close();
    const yaml = `
sources:
  - { name: app, kind: sqlite, path: ${path.join(ws.dir, "app.sqlite")} }
  - { name: gone, kind: sqlite, path: ${path.join(ws.dir, "missing.sqlite")} }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: good, source: app, destinations: [disk], schedule: "0 3 * * *", ping: "${monitor.base}/ping/${check}", webhook: "${monitor.base}/hook/${hookToken}" }
  - { name: bad, source: gone, destinations: [disk], schedule: "0 3 * * *", ping: "${monitor.base}/ping/${check}", webhook: "${monitor.base}/hook/${hookToken}" }
  - { name: unreachable, source: app, destinations: [disk], schedule: "0 3 * * *", ping: "http://127.0.0.1:${deadPort}/ping/${deadToken}", webhook: "${monitor.base}/broken/${hookToken}" }
  - { name: by-ref, source: app, destinations: [disk], schedule: "0 3 * * *", ping: "env:HC_URL" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    await new Promise((resolve) => monitor?.server.close(resolve));
    ws?.remove();
  });

  it("a successful run pings <url>/start, then <url>, and posts its result as JSON to the webhook", async () => {
    monitor.hits.length = 0;
    const r = await ws.cli(["backup", "good", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { runId: number; fileName: string };
    const pings = monitor.hits.filter((h) => h.url.startsWith("/ping/"));
    expect(pings.map((h) => `${h.method} ${h.url}`)).toEqual([`POST /ping/${check}/start`, `POST /ping/${check}`]);
    const hooks = monitor.hits.filter((h) => h.url.startsWith("/hook/"));
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.method).toBe("POST");
    expect(hooks[0]!.url).toBe(`/hook/${hookToken}`);
    expect(hooks[0]!.type).toBe("application/json");
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({ event: "run.finished", job: "good", run_id: result.runId, status: "success", file_name: result.fileName, verified: true, error: null });
  });

  it("a failed run pings <url>/fail with the reason, and the webhook says failed", async () => {
    monitor.hits.length = 0;
    const r = await ws.cli(["backup", "bad", "--json"]);
    expect(r.code).toBe(1);
    const pings = monitor.hits.filter((h) => h.url.startsWith("/ping/"));
    expect(pings.map((h) => h.url)).toEqual([`/ping/${check}/start`, `/ping/${check}/fail`]);
    expect(pings[1]!.body).toMatch(/^dump failed: .*missing\.sqlite does not exist/);
    const body = JSON.parse(monitor.hits.find((h) => h.url.startsWith("/hook/"))!.body) as { status: string; error: string };
    expect(body.status).toBe("failed");
    expect(body.error).toMatch(/does not exist/);
  });

  it("an unreachable ping URL and a failing webhook never fail the backup; the log says so without the URLs' secrets", async () => {
    monitor.hits.length = 0;
    const r = await ws.cli(["backup", "unreachable", "--json"], { LOG_LEVEL: "warn" });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { status: string }).status).toBe("success");
    expect(r.stderr).toContain("ping failed (the backup is not affected)");
    expect(r.stderr).toContain(`http://127.0.0.1:${deadPort}/…`);
    expect(r.stderr).toContain("ECONNREFUSED");
    expect(r.stderr).toContain("HTTP 500");
    // the webhook was tried twice (one retry), then given up
    expect(monitor.hits.filter((h) => h.url.startsWith("/broken/"))).toHaveLength(2);
    for (const secret of [deadToken, hookToken]) {
      expect(r.stderr).not.toContain(secret);
      expect(r.stdout).not.toContain(secret);
    }
  });

  it("a ping URL can be an env: reference; export masks literal URLs and keeps references", async () => {
    monitor.hits.length = 0;
    const r = await ws.cli(["backup", "by-ref", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(monitor.hits.map((h) => h.url)).toEqual([`/ping/${check}-ref/start`, `/ping/${check}-ref`]);

    const exported = await ws.cli(["config", "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("env:HC_URL");
    expect(exported.stdout).not.toContain(check);
    expect(exported.stdout).not.toContain(hookToken);
    expect(exported.stdout).not.toContain(deadToken);
    // the masked export imports again and keeps the stored URLs
    const again = await ws.cli(["config", "import", ws.writeFile("exported.yaml", exported.stdout)]);
    expect(again.code, again.stderr).toBe(0);
    monitor.hits.length = 0;
    expect((await ws.cli(["backup", "good", "--json"])).code).toBe(0);
    expect(monitor.hits.filter((h) => h.url.startsWith("/ping/")).map((h) => h.url)).toEqual([`/ping/${check}/start`, `/ping/${check}`]);
  });

  it("a ping that is not an http(s) URL is refused on import", async () => {
    const yaml = `
jobs:
  - { name: wrong, source: app, destinations: [disk], schedule: "0 3 * * *", ping: "ftp://example.com/x" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("wrong.yaml", yaml)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("jobs[0].ping");
    expect(r.stderr).toContain("http:// or https:// URL");
  });
});
