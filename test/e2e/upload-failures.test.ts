import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { BackupRunner } from "../../src/engine/backup-runner.js";
import { createDestinationFactory } from "../../src/destinations/registry.js";
import { createTelegramDestination } from "../../src/destinations/telegram.js";
import type { DestinationConfig } from "../../src/destinations/port.js";
import { createSourceRegistry } from "../../src/sources/registry.js";
import { DEFAULT_RETRY_POLICY, uploadWorstCase, type RetryPolicy } from "../../src/shared/retry-policy.js";
import type { Translatable } from "../../src/shared/translatable.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1005151515151;
const MiB = 1024 * 1024;

/**
 * What a failed upload costs and how it is stored, through the fake Bot API: one part is sent
 * at most as often as src/shared/retry-policy.ts says (no retry layer inside another), and the
 * failed run's row carries the failure as a locale key and params beside its English text.
 */
describe("upload failures", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let folder: string;
  // The default number of attempts, with short pauses (the count is what is under test).
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 2_000 };

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    folder = path.join(ws.dir, "configs");
    mkdirSync(folder);
    writeFileSync(path.join(folder, "app.conf"), "listen 8080\n");
    const yaml = `
sources:
  - { name: configs, kind: directory, path: ${folder} }
  - { name: gone, kind: directory, path: ${path.join(ws.dir, "gone")} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: conf, source: configs, destinations: [channel], schedule: "0 3 * * *", compression: gzip }
  - { name: lost, source: gone, destinations: [channel], schedule: "0 3 * * *", compression: gzip }
`;
    mkdirSync(path.join(ws.dir, "gone"));
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    rmSync(path.join(ws.dir, "gone"), { recursive: true });
    app = await ws.app();
    // Saved before parts above the cloud's limits were refused at save time: the runner's own check refuses it.
    const conf = app.jobsRepo.findByName("conf")!;
    app.jobsRepo.insert(
      { name: "huge", sourceId: conf.sourceId, schedule: "0 3 * * *", timezone: null, format: "tar", compression: "gzip", recipients: [], passphraseEnc: null, partSize: 60 * MiB, retention: {}, enabled: true },
      conf.destinationIds,
    );
  }, 60_000);

  afterAll(async () => {
    app?.close();
    await fake?.close();
    ws?.remove();
  });

  beforeEach(() => fake.clearFaults());

  /** The runner as the app builds it, with the real Telegram destination and `policy`. */
  const runner = () =>
    new BackupRunner({
      runs: app.runs,
      sources: createSourceRegistry({ log: app.log, docker: () => { throw new Error("no docker"); }, helperImage: undefined }),
      makeDestination: createDestinationFactory({
        telegram: (c) =>
          createTelegramDestination(c as Extract<DestinationConfig, { kind: "telegram" }>, {
            apiRoot: fake.apiRoot, selfHosted: false, defaultToken: fake.token, translate: app.translate, locale: "en", log: app.log, timeoutSeconds: 5,
          }),
      }),
      spoolDir: app.config.spoolDir,
      log: app.log,
      retry: policy,
    });

  const run = async (job: string) => runner().run(await app.jobs.resolve(job), { trigger: "cli" });
  const sends = () => fake.requestsFor("sendDocument").length;

  /** Renders a stored failure (a reason may itself be a key with params) the way the edge does. */
  const render = (lang: string, t: Translatable): string =>
    app.translate(lang, t.key, Object.fromEntries(Object.entries(t.params ?? {}).map(([name, v]) => [name, typeof v === "object" ? render(lang, v) : v])));

  describe("one retry policy", () => {
    it("documents its worst case per upload", () => {
      expect(uploadWorstCase(DEFAULT_RETRY_POLICY)).toEqual({ calls: 5, waitMs: 4 * 120_000 });
      expect(uploadWorstCase(policy)).toEqual({ calls: 5, waitMs: 4 * 2_000 });
    });

    it("sends a part at most `attempts` times under persistent 5xx", async () => {
      fake.failNext("sendDocument", { kind: "500" }, 100);
      const before = sends();
      const result = await run("conf");
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(/^upload failed: Telegram had a server error while trying to send conf_.*\.001/);
      expect(sends() - before).toBe(policy.attempts);
      expect(sends() - before).toBeLessThanOrEqual(uploadWorstCase(policy).calls);
    }, 60_000);

    it("sends a part at most `attempts` times under persistent 429, waiting out each retry_after", async () => {
      fake.failNext("sendDocument", { kind: "429", retryAfter: 1 }, 100);
      const before = sends();
      const result = await run("conf");
      expect(result.status).toBe("failed");
      expect(result.errorParams?.reason).toMatchObject({ key: "dest-error-flood" });
      expect(sends() - before).toBe(policy.attempts);
      expect(sends() - before).toBeLessThanOrEqual(uploadWorstCase(policy).calls);
      // each retry came after the pause the server asked for (a count of requests, not a timed claim)
      const times = fake.requestsFor("sendDocument").slice(before).map((r) => r.at);
      for (let n = 1; n < times.length; n++) expect(times[n]! - times[n - 1]!).toBeGreaterThanOrEqual(950);
    }, 60_000);

    it("gives up at once when the server asks for a pause above the cap", async () => {
      fake.failNext("sendDocument", { kind: "429", retryAfter: 30 }, 100);
      const before = sends();
      const result = await run("conf");
      expect(result.status).toBe("failed");
      expect(sends() - before).toBe(1);
    }, 60_000);

    it("still delivers through a few faults, each part stored once", async () => {
      fake.failNext("sendDocument", { kind: "500" });
      fake.failNext("sendDocument", { kind: "429", retryAfter: 1 });
      const result = await run("conf");
      expect(result.error).toBeNull();
      expect(result.status).toBe("success");
      expect(fake.documents(CHANNEL).filter((m) => m.document!.file_name!.startsWith(result.fileName))).toHaveLength(result.parts + 1);
    }, 60_000);
  });

  describe("a failed run is stored as a key and params beside its English text", () => {
    it("a destination's refusal: the run row carries run-failed-upload with the destination's own key as reason", async () => {
      fake.failNext("sendDocument", { kind: "error", code: 400, description: "Bad Request: chat not found" });
      const result = await run("conf");
      const row = app.runs.get(result.runId)!;
      expect(row.status).toBe("failed");
      expect(row.errorKey).toBe("run-failed-upload");
      expect(row.errorParams).toEqual({
        reason: { key: "dest-error-chat-not-found", params: { name: "channel", chat: String(CHANNEL), action: { key: "dest-action-send", params: { file: `${result.fileName}.001` } }, detail: "Bad Request: chat not found" } },
      });
      expect(row.error).toMatch(/^upload failed: Telegram chat -1005151515151 was not found\./);
      // the key and params say exactly what the English text says, and say it in Russian too
      expect(render("en", { key: row.errorKey!, params: row.errorParams! })).toBe(row.error);
      expect(render("ru", { key: row.errorKey!, params: row.errorParams! })).toMatch(/^ошибка отправки: Чат Telegram -1005151515151 не найден\./);
      expect(result).toMatchObject({ errorKey: row.errorKey, errorParams: row.errorParams, error: row.error });
    }, 60_000);

    it("the runner's own refusal of a part size: run-failed-prepare with run-part-size-too-large", async () => {
      const before = sends();
      const result = await run("huge");
      const row = app.runs.get(result.runId)!;
      expect(row.errorKey).toBe("run-failed-prepare");
      expect(row.errorParams).toEqual({
        reason: { key: "run-part-size-too-large", params: { size: { key: "fmt-size-mib", params: { n: 60 } }, limit: { key: "fmt-size-mib", params: { n: 50 } }, destination: "channel" } },
      });
      expect(render("en", { key: row.errorKey!, params: row.errorParams! })).toBe(row.error);
      expect(render("ru", { key: row.errorKey!, params: row.errorParams! })).toContain("больше 50,0 МиБ, которые принимает получатель «channel»");
      expect(sends()).toBe(before);
    }, 60_000);

    it("a source failure: run-failed-dump with the source's reason", async () => {
      const result = await run("lost");
      const row = app.runs.get(result.runId)!;
      expect(row.status).toBe("failed");
      expect(row.error).toMatch(/^dump failed: /);
      expect(row.errorKey).toBe("run-failed-dump");
      expect(row.errorParams?.reason).toBeTruthy();
    }, 60_000);

    it("a successful run carries no failure", async () => {
      const result = await run("conf");
      const row = app.runs.get(result.runId)!;
      expect(row.status).toBe("success");
      expect(row.errorKey).toBeNull();
      expect(row.errorParams).toBeNull();
      expect(result.errorKey).toBeUndefined();
    }, 60_000);
  });
});
