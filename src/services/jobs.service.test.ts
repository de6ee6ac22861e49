import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterEach, describe, expect, it } from "vitest";
import { openSecretBox } from "../crypto/open-secret-box.js";
import { SecretRefError } from "../crypto/secret-ref.js";
import { openDatabase } from "../db/client.js";
import { DEFAULT_PART_SIZE, type ResolvedJob } from "../domain.js";
import { DestinationsRepo } from "../repos/destinations.repo.js";
import { JobsRepo } from "../repos/jobs.repo.js";
import { SettingsRepo } from "../repos/settings.repo.js";
import { SourcesRepo } from "../repos/sources.repo.js";
import { SOURCE_KINDS } from "../sources/port.js";
import { DestinationsService } from "./destinations.service.js";
import { InUseError, NotFoundError, ValidationError } from "./errors.js";
import { JobsService } from "./jobs.service.js";
import { SourcesService } from "./sources.service.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), "tb-svc-"));
  const db = openDatabase(path.join(dir, "db.sqlite"));
  cleanups.push(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const box = await openSecretBox(new SettingsRepo(db), "test master key");
  const env: NodeJS.ProcessEnv = {};
  const repos = { sources: new SourcesRepo(db), destinations: new DestinationsRepo(db), jobs: new JobsRepo(db) };
  const sources = new SourcesService({ repo: repos.sources, jobs: repos.jobs, box, env });
  const destinations = new DestinationsService({ repo: repos.destinations, jobs: repos.jobs, box, env });
  const jobs = new JobsService({ repo: repos.jobs, sources: repos.sources, destinations: repos.destinations, sourcesService: sources, destinationsService: destinations, box, env });
  return { db, box, env, repos, sources, destinations, jobs };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error("expected a ValidationError");
}

describe("SourcesService", () => {
  it("stores a literal password only encrypted, masks it in views and resolves it", async () => {
    const t = await setup();
    const view = t.sources.create({ name: "app-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: "app", user: "postgres", password: "pg-Secret-1" });
    expect(view).toEqual({ id: view.id, name: "app-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: "app", user: "postgres", password: "***" });
    const row = t.repos.sources.findByName("app-db")!;
    expect(row.passwordEnc).toMatch(/^sb1:/);
    expect(JSON.stringify(row)).not.toContain("pg-Secret-1");
    expect(t.sources.get("app-db", { withSecrets: true }).password).toBe("pg-Secret-1");
    expect(await t.sources.resolve("app-db")).toEqual({
      id: view.id,
      name: "app-db",
      config: { kind: "postgres", host: "127.0.0.1", port: 5432, database: "app", user: "postgres", password: "pg-Secret-1" },
    });
    // by id too (restore --to 1)
    expect((await t.sources.resolve(String(view.id))).name).toBe("app-db");
  });

  it("reports every problem of an invalid source at once", async () => {
    const t = await setup();
    const issues = issuesOf(() =>
      t.sources.create({ name: "App DB", kind: "mysql", host: "db", port: 70000, database: "", user: "root", path: "/x" } as never),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: "App DB" is not a valid name/),
        expect.stringMatching(/^port: must be a whole number between 1 and 65535/),
        "database: is required",
        expect.stringMatching(/^path: unknown key for mysql sources/),
      ]),
    );
    expect(issuesOf(() => t.sources.create({ name: "x", kind: "oracle" } as never))).toEqual([
      `kind: must be one of ${SOURCE_KINDS.join(", ")}`,
    ]);
    expect(t.sources.list()).toEqual([]);
  });

  it("refuses duplicate names and updates without losing the password", async () => {
    const t = await setup();
    t.sources.create({ name: "shop", kind: "mysql", host: "db", port: 3306, database: "shop", user: "root", password: "env:SHOP_PW" });
    expect(issuesOf(() => t.sources.create({ name: "shop", kind: "sqlite", path: "/x.sqlite" }))).toEqual(['name: a source named "shop" already exists']);

    const updated = t.sources.update("shop", { port: 3307 });
    expect(updated).toMatchObject({ port: 3307, password: "env:SHOP_PW" });
    t.env.SHOP_PW = "from-env";
    expect((await t.sources.resolve("shop")).config).toMatchObject({ port: 3307, password: "from-env" });

    // a kind change drops the old settings
    expect(t.sources.update("shop", { kind: "sqlite", path: "/data/shop.sqlite" })).toEqual({
      id: updated.id,
      name: "shop",
      kind: "sqlite",
      path: "/data/shop.sqlite",
    });
    expect(t.repos.sources.findByName("shop")!.passwordEnc).toBeNull();
    expect(() => t.sources.update("nope", { port: 1 })).toThrow(NotFoundError);
    expect(t.sources.getByName("nope")).toBeNull();
  });

  it("fails to resolve an unset env reference with a message naming it", async () => {
    const t = await setup();
    t.sources.create({ name: "db", kind: "postgres", host: "h", port: 5432, database: "d", user: "u", password: "env:MISSING_PW" });
    await expect(t.sources.resolve("db")).rejects.toThrow('source "db" password: environment variable MISSING_PW (referenced as env:MISSING_PW) is not set');
  });
});

describe("JobsService", () => {
  async function withBasics() {
    const t = await setup();
    const recipient = await identityToRecipient(await generateIdentity());
    t.sources.create({ name: "app-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: "app", user: "postgres", password: "env:APP_DB_PASSWORD" });
    t.sources.create({ name: "uploads", kind: "volume", volume: "myproject_uploads" });
    t.destinations.create({ name: "main-channel", kind: "telegram", chat_id: "-1001234567890", thread_id: 12, bot_token: "env:OTHER_BOT" });
    t.destinations.create({ name: "nas", kind: "local", path: "/backups" });
    return { ...t, recipient };
  }

  it("fills in defaults per source kind", async () => {
    const t = await withBasics();
    const job = t.jobs.create({ name: "uploads-daily", source: "uploads", destinations: ["nas"], schedule: "0 2 * * *" });
    expect(job).toMatchObject({
      name: "uploads-daily",
      source: "uploads",
      destinations: ["nas"],
      timezone: null,
      format: "tar",
      compression: "gzip",
      encryption: null,
      part_size: DEFAULT_PART_SIZE,
      retention: {},
      enabled: true,
    });
    expect(t.jobs.create({ name: "pg", source: "app-db", destinations: ["nas"], schedule: "0 2 * * *", part_size: "50MB" })).toMatchObject({
      format: "sql",
      part_size: 50_000_000,
    });
  });

  it("rejects an invalid job with every issue", async () => {
    const t = await withBasics();
    const issues = issuesOf(() =>
      t.jobs.create({
        name: "bad",
        source: "uploads",
        destinations: ["nas", "nowhere", "nas"],
        schedule: "61 * * * *",
        timezone: "Mars/Olympus",
        format: "custom",
        compression: "brotli" as never,
        encryption: { recipients: [t.recipient], passphrase: "x" } as never,
        part_size: "5GiB",
        retention: { keep_last: -1 },
        enabled: "yes" as never,
      }),
    );
    // in the order of the job's keys
    expect(issues).toEqual([
      'destinations[1]: no destination named "nowhere"',
      'destinations[2]: "nas" is listed twice',
      expect.stringMatching(/^schedule: "61 \* \* \* \*" is not a valid cron expression/),
      'timezone: "Mars/Olympus" is not a known IANA time zone (e.g. "Europe/Berlin", "UTC")',
      'format: "custom" is not available for volume sources (use tar)',
      "compression: must be one of gzip, zstd, none",
      "encryption: give exactly one of recipients or passphrase",
      'part_size: must be between 1MiB and 2000MiB, got "5GiB"',
      "retention.keep_last: must be a whole number of 0 or more, got -1",
      'enabled: must be true or false, got "yes"',
    ]);
    expect(issuesOf(() => t.jobs.create({ name: "x", source: "nope", destinations: ["nas"], schedule: "0 3 * * *", encryption: { recipients: ["age1..."] } }))).toEqual([
      'source: no source named "nope"',
      'encryption.recipients[0]: "age1..." is not a valid age recipient (expected a public key starting with age1)',
    ]);
    expect(t.jobs.list()).toEqual([]);
  });

  it("resolves a job with every secret reference resolved, destinations in job order", async () => {
    const t = await withBasics();
    const job = t.jobs.create({
      name: "app-nightly",
      source: "app-db",
      destinations: ["main-channel", "nas"],
      schedule: "0 3 * * *",
      timezone: "Europe/Berlin",
      format: "custom",
      compression: "zstd",
      encryption: { recipients: [t.recipient] },
      part_size: "19MiB",
      retention: { keep_last: 14, keep_daily: 7 },
    });
    const main = t.destinations.getByName("main-channel")!;
    const nas = t.destinations.getByName("nas")!;
    t.env.APP_DB_PASSWORD = "pw-from-env";
    t.env.OTHER_BOT = "999:token-from-env";
    const resolved = await t.jobs.resolve("app-nightly");
    expect(resolved).toEqual<ResolvedJob>({
      id: job.id,
      name: "app-nightly",
      source: {
        id: t.sources.getByName("app-db")!.id,
        name: "app-db",
        config: { kind: "postgres", host: "127.0.0.1", port: 5432, database: "app", user: "postgres", password: "pw-from-env" },
      },
      destinations: [
        { id: main.id, config: { kind: "telegram", name: "main-channel", chatId: "-1001234567890", threadId: 12, botToken: "999:token-from-env" } },
        { id: nas.id, config: { kind: "local", name: "nas", path: "/backups" } },
      ],
      schedule: "0 3 * * *",
      timezone: "Europe/Berlin",
      format: "custom",
      compression: "zstd",
      encryption: { kind: "recipients", recipients: [t.recipient] },
      partSize: 19 * 1024 * 1024,
      retention: { keep_last: 14, keep_daily: 7 },
      enabled: true,
      notify: {},
    });
    expect((await t.jobs.resolve(job.id)).name).toBe("app-nightly");

    delete t.env.APP_DB_PASSWORD;
    const err = await t.jobs.resolve("app-nightly").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretRefError);
    expect((err as Error).message).toBe(
      'job "app-nightly": source "app-db" password: environment variable APP_DB_PASSWORD (referenced as env:APP_DB_PASSWORD) is not set',
    );

    await expect(t.jobs.resolve("x")).rejects.toThrow(NotFoundError);
    await expect(t.jobs.resolve("x")).rejects.toThrow('job "x" not found');
  });

  it("keeps a passphrase encrypted, masks it and resolves it", async () => {
    const t = await withBasics();
    t.jobs.create({ name: "secret", source: "uploads", destinations: ["nas"], schedule: "0 3 * * *", encryption: { passphrase: "correct horse" } });
    expect(t.repos.jobs.findByName("secret")!.passphraseEnc).toMatch(/^sb1:/);
    expect(t.jobs.get("secret").encryption).toEqual({ passphrase: "***" });
    expect(t.jobs.get("secret", { withSecrets: true }).encryption).toEqual({ passphrase: "correct horse" });
    expect((await t.jobs.resolve("secret")).encryption).toEqual({ kind: "passphrase", passphrase: "correct horse" });
    expect(await t.jobs.passphraseFor("secret")).toBe("correct horse");
    // an unrelated update keeps it; removing encryption clears it
    t.jobs.update("secret", { schedule: "0 4 * * *" });
    expect(await t.jobs.passphraseFor("secret")).toBe("correct horse");
    t.jobs.update("secret", { encryption: null });
    expect(await t.jobs.passphraseFor("secret")).toBeUndefined();
    expect(t.repos.jobs.findByName("secret")!.passphraseEnc).toBeNull();
  });

  it("updates destinations, renames and switches sources", async () => {
    const t = await withBasics();
    t.jobs.create({ name: "a", source: "app-db", destinations: ["nas"], schedule: "0 3 * * *", format: "custom" });
    t.jobs.create({ name: "b", source: "uploads", destinations: ["nas"], schedule: "0 3 * * *" });
    expect(t.jobs.update("a", { destinations: ["main-channel", "nas"] }).destinations).toEqual(["main-channel", "nas"]);
    expect(issuesOf(() => t.jobs.update("a", { name: "b" }))).toEqual(['name: a job named "b" already exists']);
    expect(t.jobs.update("a", { name: "c", enabled: false })).toMatchObject({ name: "c", enabled: false });
    // pg custom does not fit a volume: the default for the new kind is taken
    expect(t.jobs.update("c", { source: "uploads" })).toMatchObject({ source: "uploads", format: "tar" });
    t.jobs.delete("c");
    expect(t.jobs.list().map((j) => j.name)).toEqual(["b"]);
  });

  it("refuses to delete a source or destination in use, naming the jobs", async () => {
    const t = await withBasics();
    t.jobs.create({ name: "app-nightly", source: "app-db", destinations: ["main-channel", "nas"], schedule: "0 3 * * *" });
    t.jobs.create({ name: "app-weekly", source: "app-db", destinations: ["nas"], schedule: "0 3 * * 0" });
    const err = (() => {
      try {
        t.sources.delete("app-db");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InUseError);
    expect((err as InUseError).jobs).toEqual(["app-nightly", "app-weekly"]);
    expect((err as Error).message).toBe('source "app-db" is used by jobs "app-nightly", "app-weekly"; delete those jobs or change them first');
    expect(() => t.destinations.delete("main-channel")).toThrow('destination "main-channel" is used by job "app-nightly"');

    t.jobs.delete("app-nightly");
    t.destinations.delete("main-channel");
    t.jobs.delete("app-weekly");
    t.sources.delete("app-db");
    expect(t.sources.list().map((s) => s.name)).toEqual(["uploads"]);
    expect(() => t.sources.delete("app-db")).toThrow('source "app-db" not found');
  });
});

describe("DestinationsService", () => {
  it("validates, masks a literal token and resolves references", async () => {
    const t = await setup();
    expect(issuesOf(() => t.destinations.create({ name: "tg", kind: "telegram", chat_id: "my channel", thread_id: 0, bot_token: "nope" } as never))).toEqual([
      'chat_id: "my channel" is not a chat id (e.g. "-1001234567890" or "@channelname")',
      "thread_id: must be a positive whole number (a forum topic id), got 0",
      "bot_token: does not look like a bot token (expected <digits>:<letters>), or use env:NAME / file:/path",
    ]);
    expect(issuesOf(() => t.destinations.create({ name: "l", kind: "local", path: "backups" }))).toEqual([
      'path: "backups" must be an absolute path (starting with /)',
    ]);
    const token = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const tg = t.destinations.create({ name: "tg", kind: "telegram", chat_id: "@my_channel", bot_token: token });
    expect(tg).toEqual({ id: tg.id, name: "tg", kind: "telegram", chat_id: "@my_channel", bot_token: "***" });
    expect((await t.destinations.resolve(tg.id)).config).toEqual({ kind: "telegram", name: "tg", chatId: "@my_channel", botToken: token });
    // omitted keeps, null removes
    t.destinations.update("tg", { thread_id: 7 });
    expect((await t.destinations.resolve("tg")).config).toEqual({ kind: "telegram", name: "tg", chatId: "@my_channel", threadId: 7, botToken: token });
    t.destinations.update("tg", { bot_token: null });
    expect((await t.destinations.resolve("tg")).config).toEqual({ kind: "telegram", name: "tg", chatId: "@my_channel", threadId: 7 });
  });
});
