import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { openSecretBox } from "../crypto/open-secret-box.js";
import { openDatabase } from "../db/client.js";
import type { DestinationConfig } from "../destinations/port.js";
import { DestinationsRepo } from "../repos/destinations.repo.js";
import { JobsRepo } from "../repos/jobs.repo.js";
import { SettingsRepo } from "../repos/settings.repo.js";
import { SourcesRepo } from "../repos/sources.repo.js";
import { SOURCE_KINDS } from "../sources/port.js";
import { ConcurrentChangeError, ConfigIoService, pickKeys } from "./config-io.service.js";
import { DestinationsService } from "./destinations.service.js";
import { ValidationError } from "./errors.js";
import { JOB_KEYS } from "./job.schema.js";
import { JobsService } from "./jobs.service.js";
import { SourcesService } from "./sources.service.js";

const MASTER_KEY = "config io test master key";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function setup(options: { dir?: string; checkDestination?: (c: DestinationConfig) => Promise<void> } = {}) {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "tb-cfg-"));
  const file = path.join(dir, "db.sqlite");
  const db = openDatabase(file);
  let open = true;
  const close = () => {
    if (open) db.$client.close();
    open = false;
  };
  cleanups.push(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });
  const box = await openSecretBox(new SettingsRepo(db), MASTER_KEY);
  const env: NodeJS.ProcessEnv = {};
  const repos = { sources: new SourcesRepo(db), destinations: new DestinationsRepo(db), jobs: new JobsRepo(db) };
  const sources = new SourcesService({ repo: repos.sources, jobs: repos.jobs, box, env });
  const destinations = new DestinationsService({ repo: repos.destinations, jobs: repos.jobs, box, env });
  const jobs = new JobsService({ repo: repos.jobs, sources: repos.sources, destinations: repos.destinations, sourcesService: sources, destinationsService: destinations, box, env });
  const io = new ConfigIoService({ db, sources, destinations, jobs, checkDestination: options.checkDestination });
  const counts = () => ({ sources: repos.sources.count(), destinations: repos.destinations.count(), jobs: repos.jobs.count() });
  return { dir, file, db, close, env, repos, sources, destinations, jobs, io, counts };
}

async function importIssues(io: ConfigIoService, text: string): Promise<string[]> {
  const err = await io.import(text).catch((e: unknown) => e);
  if (!(err instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(err)}`);
  return err.issues.map((i) => `${i.path}: ${i.message}`);
}

let recipient: string;
let designExample: string;
beforeAll(async () => {
  recipient = await identityToRecipient(await generateIdentity());
  // The example from DESIGN.md "Configuration as code", with a real age recipient.
  designExample = `
sources:
  - name: app-db
    kind: postgres            # postgres | mysql (MySQL and MariaDB) | sqlite | volume | directory
    host: 127.0.0.1
    port: 5432
    database: app
    user: postgres
    password: env:APP_DB_PASSWORD
  - name: shop-db
    kind: mysql
    host: 127.0.0.1
    port: 3306
    database: shop
    user: root
    password: ""
  - name: notes
    kind: sqlite
    path: /data/notes.sqlite
  - name: uploads
    kind: volume
    volume: myproject_uploads
  - name: configs
    kind: directory
    path: /srv/configs
destinations:
  - name: main-channel
    kind: telegram
    chat_id: "-1001234567890"
    thread_id: 12             # optional forum topic
  - name: nas
    kind: local
    path: /backups
jobs:
  - name: app-nightly
    source: app-db
    destinations: [main-channel, nas]
    schedule: "0 3 * * *"
    timezone: Europe/Berlin   # optional, default TZ
    format: sql               # sql | custom (pg_dump -Fc) ; volumes and directories: tar
    compression: gzip         # gzip | zstd | none
    encryption:               # optional; exactly one of:
      recipients: [${recipient}]   #   age public keys (preferred: the server never holds the key)
      # passphrase: env:BACKUP_PASSPHRASE
    part_size: 19MiB          # default keeps every part downloadable through the cloud API
    retention: { keep_last: 14, keep_daily: 7, keep_weekly: 4, keep_monthly: 6 }
    enabled: true
`;
});

/** A config with a literal secret of every kind. */
const SECRET_PW = "Pg-Literal-Pa55word-XYZZY";
const SECRET_PASSPHRASE = "age-Literal-Passphrase-PLUGH";
const SECRET_TOKEN = "4242424242:Literal-Bot-Token-AbCdEfGhIjKlMnOp";
const secretConfig = `
sources:
  - { name: db, kind: postgres, host: localhost, port: 5432, database: app, user: app, password: "${SECRET_PW}" }
destinations:
  - { name: tg, kind: telegram, chat_id: "-1001", bot_token: "${SECRET_TOKEN}" }
jobs:
  - name: db-hourly
    source: db
    destinations: [tg]
    schedule: "0 * * * *"
    encryption: { passphrase: "${SECRET_PASSPHRASE}" }
`;

describe("ConfigIoService", () => {
  it("imports the DESIGN.md example and exports it back unchanged", async () => {
    const t = await setup();
    const summary = await t.io.import(designExample);
    expect(summary).toEqual({
      sources: { created: ["app-db", "shop-db", "notes", "uploads", "configs"], updated: [], unchanged: [] },
      destinations: { created: ["main-channel", "nas"], updated: [], unchanged: [] },
      jobs: { created: ["app-nightly"], updated: [], unchanged: [] },
    });
    const exported = t.io.export();
    expect(parse(exported)).toEqual(parse(designExample));
    // flow style where the example uses it, and the chat id stays a string
    expect(exported).toContain("destinations: [ main-channel, nas ]");
    expect(exported).toContain('chat_id: "-1001234567890"');
    expect(exported).toContain("part_size: 19MiB");
    expect(exported).toContain('schedule: "0 3 * * *"');

    t.env.APP_DB_PASSWORD = "from-env";
    const job = await t.jobs.resolve("app-nightly");
    expect(job.source.config).toMatchObject({ kind: "postgres", password: "from-env" });
    expect(job.encryption).toEqual({ kind: "recipients", recipients: [recipient] });
    expect((await t.sources.resolve("shop-db")).config).toMatchObject({ kind: "mysql", password: "" });
  });

  it("is idempotent: importing the same file (or its export) again changes nothing", async () => {
    const t = await setup();
    await t.io.import(designExample);
    const before = t.db.$client.prepare("select name, updated_at, settings, password_enc from sources order by id").all();
    const jobsBefore = t.db.$client.prepare("select * from jobs").all();
    const again = await t.io.import(designExample);
    expect(again.sources).toEqual({ created: [], updated: [], unchanged: ["app-db", "shop-db", "notes", "uploads", "configs"] });
    expect(again.destinations).toEqual({ created: [], updated: [], unchanged: ["main-channel", "nas"] });
    expect(again.jobs).toEqual({ created: [], updated: [], unchanged: ["app-nightly"] });
    const fromExport = await t.io.import(t.io.export());
    expect(fromExport.jobs.unchanged).toEqual(["app-nightly"]);
    expect(t.db.$client.prepare("select name, updated_at, settings, password_enc from sources order by id").all()).toEqual(before);
    expect(t.db.$client.prepare("select * from jobs").all()).toEqual(jobsBefore);
  });

  it("upserts by name and reports what changed", async () => {
    const t = await setup();
    await t.io.import(designExample);
    const changed = designExample.replace('schedule: "0 3 * * *"', 'schedule: "30 2 * * *"').replace("path: /backups", "path: /mnt/backups");
    const extra = `${changed}  - name: notes-daily\n    source: notes\n    destinations: [nas]\n    schedule: "0 1 * * *"\n`;
    const summary = await t.io.import(extra);
    expect(summary.destinations).toEqual({ created: [], updated: ["nas"], unchanged: ["main-channel"] });
    expect(summary.jobs).toEqual({ created: ["notes-daily"], updated: ["app-nightly"], unchanged: [] });
    expect(t.jobs.get("app-nightly").schedule).toBe("30 2 * * *");
    expect(t.jobs.get("notes-daily")).toMatchObject({ format: "sql", compression: "gzip", part_size: 19 * 1024 * 1024 });
    // a file may reference what is already in the database
    const onlyJob = `jobs:\n  - { name: uploads-weekly, source: uploads, destinations: [main-channel], schedule: "0 4 * * 0" }\n`;
    expect((await t.io.import(onlyJob)).jobs.created).toEqual(["uploads-weekly"]);
    expect(t.jobs.get("uploads-weekly").format).toBe("tar");
  });

  it("reports every error with its path and writes nothing", async () => {
    const t = await setup();
    await t.io.import(designExample);
    const countsBefore = t.counts();
    const exportBefore = t.io.export({ withSecrets: true });
    const bad = `
sources:
  - name: fresh-db          # valid and new: must not be created
    kind: sqlite
    path: /data/fresh.sqlite
  - name: oracle-db
    kind: oracle
  - name: pg2
    kind: postgres
    host: db
    port: 99999
    database: app
    user: app
    pasword: oops
  - name: fresh-db
    kind: directory
    path: relative/dir
destinations:
  - name: tg2
    kind: telegram
    chat: "-100"
  - name: Bad Name
    kind: local
    path: /x
jobs:
  - name: ok-job
    source: fresh-db
    destinations: [nas]
    schedule: "0 3 * * *"
  - name: broken
    source: ghost
    destinations: [nas, nowhere]
    schedule: "61 * * * *"
    timezone: Nowhere/City
    compression: lzma
    encryption: { recipients: [age1notakey] }
    part_size: 10KiB
    retention: { keep_last: -3, keep_forever: true }
  - name: wrong-format
    source: shop-db
    destinations: [main-channel]
    schedule: "0 3 * * *"
    format: custom
    encryption: {}
settings:
  x: 1
`;
    const issues = await importIssues(t.io, bad);
    const expected = [
      "settings: unknown key for the file (allowed: sources, destinations, jobs)",
      `sources[1].kind: must be one of ${SOURCE_KINDS.join(", ")}`,
      "sources[2].pasword: unknown key for postgres sources (allowed: name, kind, host, port, database, user, password, lock_wait_timeout)",
      "sources[2].port: must be a whole number between 1 and 65535, got 99999",
      'sources[3].name: "fresh-db" is already defined at sources[0]',
      'sources[3].path: "relative/dir" must be an absolute path (starting with /)',
      "destinations[0].chat: unknown key for telegram destinations (allowed: name, kind, chat_id, thread_id, bot_token, mirror_chat_id, mirror_thread_id, language)",
      "destinations[0].chat_id: is required",
      'destinations[1].name: "Bad Name" is not a valid name: use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
      "jobs[1].retention.keep_forever: unknown key for retention (allowed: keep_last, keep_daily, keep_weekly, keep_monthly, max_age_days)",
      'jobs[1].source: no source named "ghost"',
      'jobs[1].destinations[1]: no destination named "nowhere"',
      'jobs[1].timezone: "Nowhere/City" is not a known IANA time zone (e.g. "Europe/Berlin", "UTC")',
      'jobs[1].schedule: "61 * * * *" is not a valid cron expression (Constraint error, got value 61 expected range 0-59)',
      "jobs[1].compression: must be one of gzip, zstd, none",
      'jobs[1].encryption.recipients[0]: "age1notakey" is not a valid age recipient (expected a public key starting with age1)',
      'jobs[1].part_size: must be between 1MiB and 2000MiB, got "10KiB"',
      "jobs[1].retention.keep_last: must be a whole number of 0 or more, got -3",
      'jobs[2].format: "custom" is not available for mysql sources (use sql)',
      "jobs[2].encryption: give exactly one of recipients or passphrase",
    ];
    expect(issues.sort()).toEqual([...expected].sort());
    expect(t.counts()).toEqual(countsBefore);
    expect(t.repos.sources.findByName("fresh-db")).toBeNull();
    expect(t.io.export({ withSecrets: true })).toBe(exportBefore);
  });

  it("reports YAML syntax errors with line and column", async () => {
    const t = await setup();
    const issues = await importIssues(t.io, "sources:\n  - name: a\n    kind: [sqlite\n  - name: b\n");
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(/^line \d+, column \d+: /);
    expect(await importIssues(t.io, "sources:\n  - name: a\n    name: b\n")).toEqual(["line 3, column 5: Map keys must be unique"]);
    expect(await importIssues(t.io, "- just a list\n")).toEqual(["(root): the file must be a mapping with sources, destinations and jobs lists"]);
    expect(await importIssues(t.io, "sources: app-db\n")).toEqual(['sources: must be a list (each item starting with "- name: …")']);
    expect(t.counts()).toEqual({ sources: 0, destinations: 0, jobs: 0 });
    // an empty file is an empty configuration
    expect(await t.io.import("")).toEqual({
      sources: { created: [], updated: [], unchanged: [] },
      destinations: { created: [], updated: [], unchanged: [] },
      jobs: { created: [], updated: [], unchanged: [] },
    });
  });

  it("never writes a literal secret in plaintext to the database or its WAL", async () => {
    const t = await setup();
    await t.io.import(secretConfig);
    // while open: the freshly written pages are in the -wal file
    const wal = `${t.file}-wal`;
    expect(existsSync(wal)).toBe(true);
    const files = [t.file, wal];
    // control: the grep does see what was just written (non-secret values)
    expect(readFileSync(wal).includes(Buffer.from("db-hourly"))).toBe(true);
    for (const secret of [SECRET_PW, SECRET_PASSPHRASE, SECRET_TOKEN]) {
      for (const f of files) expect(readFileSync(f).includes(Buffer.from(secret)), `${secret} in ${f}`).toBe(false);
    }
    // after a checkpoint into the main file, and after closing
    t.db.$client.pragma("wal_checkpoint(TRUNCATE)");
    t.close();
    expect(readFileSync(t.file).includes(Buffer.from("db-hourly"))).toBe(true);
    for (const secret of [SECRET_PW, SECRET_PASSPHRASE, SECRET_TOKEN]) {
      expect(readFileSync(t.file).includes(Buffer.from(secret))).toBe(false);
      if (existsSync(wal)) expect(readFileSync(wal).includes(Buffer.from(secret))).toBe(false);
    }
  });

  it("masks literal secrets on export unless asked, and keeps them when the masked export is imported", async () => {
    const t = await setup();
    await t.io.import(secretConfig);
    const masked = t.io.export();
    for (const secret of [SECRET_PW, SECRET_PASSPHRASE, SECRET_TOKEN]) expect(masked).not.toContain(secret);
    const m = parse(masked);
    expect(m.sources[0].password).toBe("***");
    expect(m.destinations[0].bot_token).toBe("***");
    expect(m.jobs[0].encryption).toEqual({ passphrase: "***" });
    expect(masked).toMatch(/^# .*\n# Secrets are shown as "\*\*\*"/);

    const revealed = parse(t.io.export({ withSecrets: true }));
    expect(revealed.sources[0].password).toBe(SECRET_PW);
    expect(revealed.destinations[0].bot_token).toBe(SECRET_TOKEN);
    expect(revealed.jobs[0].encryption).toEqual({ passphrase: SECRET_PASSPHRASE });

    const again = await t.io.import(masked);
    expect([...again.sources.unchanged, ...again.destinations.unchanged, ...again.jobs.unchanged]).toEqual(["db", "tg", "db-hourly"]);
    const job = await t.jobs.resolve("db-hourly");
    expect(job.source.config).toMatchObject({ password: SECRET_PW });
    expect(job.destinations[0]!.config).toMatchObject({ botToken: SECRET_TOKEN });
    expect(job.encryption).toEqual({ kind: "passphrase", passphrase: SECRET_PASSPHRASE });

    // a masked export edited elsewhere still keeps the secret
    await t.io.import(masked.replace("port: 5432", "port: 5433"));
    expect((await t.sources.resolve("db")).config).toMatchObject({ port: 5433, password: SECRET_PW });

    // "***" for something that has no stored secret is an error, not a password
    const issues = await importIssues(t.io, masked.replace("name: db\n", "name: db2\n").replace("source: db\n", "source: db2\n"));
    expect(issues).toEqual([expect.stringMatching(/^sources\[0\]\.password: "\*\*\*" is the export mask and there is no stored password to keep/)]);
  });

  it("round-trips losslessly with secrets into a fresh database", async () => {
    const a = await setup();
    await a.io.import(designExample);
    await a.io.import(secretConfig);
    const full = a.io.export({ withSecrets: true });
    const b = await setup();
    await b.io.import(full);
    expect(b.io.export({ withSecrets: true })).toBe(full);
    expect(parse(b.io.export())).toEqual(parse(a.io.export()));
  });

  it("checks new and changed destinations through the hook before writing", async () => {
    const checked: DestinationConfig[] = [];
    const t = await setup({
      checkDestination: async (config) => {
        checked.push(config);
        if (config.kind === "telegram" && config.chatId === "-100999") {
          throw new Error(`chat not found (token ${config.botToken ?? "default"})`);
        }
      },
    });
    t.env.TG_TOKEN = "5555:resolved-token-value-from-env-xyz";
    await t.io.import(designExample);
    expect(checked.map((c) => c.name)).toEqual(["main-channel", "nas"]);
    checked.length = 0;
    await t.io.import(designExample);
    expect(checked).toEqual([]);

    const before = t.counts();
    const bad = `destinations:\n  - { name: lost, kind: telegram, chat_id: "-100999", bot_token: env:TG_TOKEN }\n  - { name: unset, kind: telegram, chat_id: "-1005", bot_token: env:NOT_SET }\n`;
    expect(await importIssues(t.io, bad)).toEqual([
      "destinations[0]: chat not found (token ***)",
      'destinations[1].bot_token: destination "unset" bot_token: environment variable NOT_SET (referenced as env:NOT_SET) is not set',
    ]);
    expect(checked).toEqual([{ kind: "telegram", name: "lost", chatId: "-100999", botToken: "5555:resolved-token-value-from-env-xyz" }]);
    expect(t.counts()).toEqual(before);
  });

  it("writes nothing when the configuration changes while the import awaits its checks", async () => {
    let sneak: () => void = () => {};
    const t = await setup({ checkDestination: async () => sneak() });
    sneak = () => {
      sneak = () => {};
      t.sources.create({ name: "notes", kind: "sqlite", path: "/elsewhere.sqlite" });
    };
    await expect(t.io.import(designExample)).rejects.toThrow(ConcurrentChangeError);
    expect(t.counts()).toEqual({ sources: 1, destinations: 0, jobs: 0 });
    // a second attempt sees the new row and updates it
    expect((await t.io.import(designExample)).sources.updated).toEqual(["notes"]);
  });

  it("refuses a source kind change that breaks a stored job the file does not mention", async () => {
    const t = await setup();
    await t.io.import(designExample);
    await t.io.import(`jobs:\n  - { name: pg-custom, source: app-db, destinations: [nas], schedule: "0 5 * * *", format: custom }\n`);
    const issues = await importIssues(
      t.io,
      `sources:\n  - { name: app-db, kind: mysql, host: db, port: 3306, database: app, user: root }\njobs:\n  - { name: app-nightly, source: app-db, destinations: [nas], schedule: "0 3 * * *" }\n`,
    );
    expect(issues).toEqual([
      'sources[0].kind: job "pg-custom" (not in this file) uses format "custom", which mysql sources do not support; change or include that job too',
    ]);
  });
});

/**
 * Issue 9, item 9: `config export` writes every field `config import` reads. The configuration
 * below uses every key documented in README's "Configuration as code" block and DESIGN.md's
 * example (including the alternatives they mention in comments: `bot_token`, `passphrase`),
 * with every secret given as a reference, so even the masked export carries it all.
 */
describe("lossless export", () => {
  let r1: string;
  let r2: string;
  beforeAll(async () => {
    r1 = await identityToRecipient(await generateIdentity());
    r2 = await identityToRecipient(await generateIdentity());
  });

  const everything = () => `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: app, user: postgres, password: env:APP_DB_PASSWORD, lock_wait_timeout: 900 }
  - { name: shop-db, kind: mysql, host: mariadb, port: 3306, database: shop, user: root, password: file:/run/secrets/mariadb_root_password, lock_wait_timeout: 900 }
  - { name: legacy-db, kind: mysql, host: 127.0.0.1, port: 3306, database: legacy, user: root, password: "" }
  - { name: notes, kind: sqlite, path: /data/notes.sqlite }
  - { name: uploads, kind: volume, volume: myproject_uploads }
  - { name: configs, kind: directory, path: /srv/configs, exclude: ["*.log", "cache/", "tmp/**"] }
  - { name: cache, kind: redis, host: redis, port: 6379, user: backup, password: env:REDIS_PASSWORD }
destinations:
  - { name: main-channel, kind: telegram, chat_id: "-1001234567890", thread_id: 12, bot_token: env:OTHER_BOT_TOKEN, mirror_chat_id: "-1009999999999", mirror_thread_id: 4 }
  - { name: plain-channel, kind: telegram, chat_id: "-1002" }
  - { name: nas, kind: local, path: /backups }
  - { name: offsite, kind: s3, endpoint: https://s3.eu-central-1.amazonaws.com, region: eu-central-1, bucket: my-backups, prefix: tele-backup/, path_style: false, access_key_id: AKIAEXAMPLE, secret_access_key: env:S3_SECRET_KEY, storage_class: STANDARD_IA, server_side_encryption: AES256 }
jobs:
  - name: app-nightly
    source: app-db
    destinations: [main-channel, nas]
    schedule: "0 3 * * *"
    timezone: Europe/Berlin
    format: custom
    compression: gzip
    encryption: { recipients: [${r1}, ${r2}] }
    part_size: 19MiB
    retention: { keep_last: 14, keep_daily: 7, keep_weekly: 4, keep_monthly: 6, max_age_days: 90 }
    notify:
      success: { chat_id: "-1005550001" }
      failure: { chat_id: "-1009876543210", thread_id: 3 }
    hooks:
      before: [{ run: "php artisan down", container: app }]
      after: [{ run: "php artisan up", container: app }]
    ping: env:HEALTHCHECK_URL
    webhook: env:WEBHOOK_URL
    enabled: true
  - name: shop-weekly
    source: shop-db
    destinations: [plain-channel]
    schedule: "15 4 * * 0"
    compression: zstd
    encryption: { passphrase: env:BACKUP_PASSPHRASE }
    part_size: 10MiB
    notify: { failure: { chat_id: "-1009876543210" } }
    enabled: false
  - name: uploads-daily
    source: uploads
    destinations: [nas]
    schedule: "0 2 * * *"
    compression: none
    encryption: { passphrase: file:/run/secrets/backup_passphrase }
    part_size: 1GiB
    retention: { keep_last: 3 }
  - { name: notes-hourly, source: notes, destinations: [nas], schedule: "0 * * * *" }
  - { name: configs-daily, source: configs, destinations: [main-channel], schedule: "30 1 * * *" }
  - { name: legacy-monthly, source: legacy-db, destinations: [nas], schedule: "0 5 1 * *" }
  - name: cache-nightly
    source: cache
    destinations: [nas]
    schedule: "0 4 * * *"
    hooks:
      before: [{ container: app, run: "php artisan down", timeout: 30 }]
      after: [{ container: app, run: ["php", "artisan", "up"] }]
      on_failure: [{ run: "echo failed" }]
    ping: env:HEALTHCHECK_URL
    webhook: file:/run/secrets/webhook_url
`;

  /** Every key path in a parsed config: `jobs.notify.failure.thread_id`, ... (list items collapse). */
  const keyPaths = (value: unknown, prefix = ""): Set<string> => {
    const out = new Set<string>();
    if (Array.isArray(value)) {
      for (const v of value) for (const p of keyPaths(v, prefix)) out.add(p);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        const p = prefix ? `${prefix}.${k}` : k;
        out.add(p);
        // recipients are a list of strings; anything below a leaf list is not a key
        for (const q of keyPaths(v, p)) out.add(q);
      }
    }
    return out;
  };

  it("export → import into an empty data folder → export gives the same bytes, masked and with secrets", async () => {
    const a = await setup();
    await a.io.import(everything());
    const b = await setup();
    for (const withSecrets of [false, true]) {
      const first = a.io.export({ withSecrets });
      const fresh = await setup();
      await fresh.io.import(first);
      expect(fresh.io.export({ withSecrets })).toBe(first);
      // and once more through a third folder, from the second export
      await b.io.import(fresh.io.export({ withSecrets }));
      expect(b.io.export({ withSecrets })).toBe(first);
    }
    // what used to be lost: the notify routes survive export → import
    const exported = parse(a.io.export());
    expect(exported.jobs[0].notify).toEqual({ success: { chat_id: "-1005550001" }, failure: { chat_id: "-1009876543210", thread_id: 3 } });
    expect(exported.jobs[1].notify).toEqual({ failure: { chat_id: "-1009876543210" } });
    expect(b.jobs.get("app-nightly").notify).toEqual(exported.jobs[0].notify);
    expect(a.io.export()).toContain('    notify:\n      success: { chat_id: "-1005550001" }\n      failure: { chat_id: "-1009876543210", thread_id: 3 }\n');
  });

  it("with literal secrets, the --with-secrets export round-trips byte for byte", async () => {
    const a = await setup();
    await a.io.import(everything());
    await a.io.import(secretConfig);
    const full = a.io.export({ withSecrets: true });
    for (const secret of [SECRET_PW, SECRET_PASSPHRASE, SECRET_TOKEN]) expect(full).toContain(secret);
    const b = await setup();
    await b.io.import(full);
    expect(b.io.export({ withSecrets: true })).toBe(full);
    expect(b.io.export()).toBe(a.io.export());
  });

  it("the export holds every key documented in the README and DESIGN.md", async () => {
    const t = await setup();
    await t.io.import(everything());
    const exported = keyPaths(parse(t.io.export()));

    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = /## Configuration as code\s+```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, "README's Configuration as code YAML block").toBeDefined();
    // keys the README and DESIGN.md name only in comments (alternatives), e.g. "# bot_token: env:…"
    const commented = [...`${block}\n${designExample}`.matchAll(/#\s*(?:or:\s*)?(\w+):\s*env:/g)].map((m) => m[1]!);
    expect(commented.sort()).toEqual(["bot_token", "passphrase", "passphrase"]);
    const documented = new Set([...keyPaths(parse(block!)), ...keyPaths(parse(designExample)), "destinations.bot_token", "jobs.encryption.passphrase"]);
    expect(documented.has("jobs.notify.failure.thread_id")).toBe(true);
    for (const key of documented) expect(exported, `documented key ${key}`).toContain(key);

    // every key the importer accepts: "every field of every shape" below, derived from the schemas
  });

  it("refuses to export a key that import would not read (the two cannot drift apart silently)", () => {
    expect(() => pickKeys({ name: "j", notify: {}, colour: "red" }, JOB_KEYS, 'job "j"')).toThrow('config export: job "j" has colour, which config import does not read');
    expect(Object.keys(pickKeys({ enabled: true, name: "j", schedule: "0 * * * *" }, JOB_KEYS, "j"))).toEqual(["name", "schedule", "enabled"]);
  });
});

/**
 * Every key of every shape, read from the schemas themselves (each kind's in its registry, the
 * job's in job.schema.ts, down through nested mappings and lists), must come back from
 * export → import → export unchanged. A key added to a schema without a sample here fails the
 * coverage check (naming it); a key the export drops fails the comparison.
 */
describe("every field of every shape", () => {
  /** Key paths a schema accepts: `jobs.notify.failure.thread_id`, `jobs.hooks.before.run`, … (lists collapse). */
  const schemaPaths = (schema: unknown, prefix: string): string[] => {
    const entriesOf = (node: unknown, depth = 0): Record<string, unknown> | undefined => {
      if (!node || typeof node !== "object" || depth > 8) return undefined;
      const n = node as { entries?: Record<string, unknown>; pipe?: unknown[]; wrapped?: unknown; item?: unknown; options?: unknown[] };
      if (n.entries) return n.entries;
      for (const next of [...(n.pipe ?? []), n.wrapped, n.item, ...(n.options ?? [])]) {
        const found = entriesOf(next, depth + 1);
        if (found) return found;
      }
      return undefined;
    };
    const entries = entriesOf(schema);
    if (!entries) return [];
    return Object.entries(entries).flatMap(([key, inner]) => [`${prefix}.${key}`, ...schemaPaths(inner, `${prefix}.${key}`)]);
  };
  const keyPaths = (value: unknown, prefix: string): string[] => {
    if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, prefix));
    if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
    return [];
  };

  const sample = (r: string) => `
sources:
  - { name: pg, kind: postgres, host: 127.0.0.1, port: 5432, database: app, user: postgres, password: env:PG_PASSWORD, lock_wait_timeout: 600 }
  - { name: shop, kind: mysql, host: mariadb, port: 3306, database: shop, user: root, password: Literal-Shop-Pw, lock_wait_timeout: 300 }
  - { name: notes, kind: sqlite, path: /data/notes.sqlite }
  - { name: uploads, kind: volume, volume: myproject_uploads }
  - { name: configs, kind: directory, path: /srv/configs, exclude: ["*.log", "cache/"] }
  - { name: cache, kind: redis, host: 127.0.0.1, port: 6379, user: backup, password: env:REDIS_PASSWORD }
destinations:
  - { name: tg, kind: telegram, chat_id: "-1001234567890", thread_id: 12, bot_token: env:OTHER_BOT_TOKEN, mirror_chat_id: "-1009876543210", mirror_thread_id: 5, language: ru }
  - { name: nas, kind: local, path: /backups }
  - name: bucket
    kind: s3
    endpoint: https://s3.example.com
    region: eu-west-1
    bucket: my-backups
    prefix: tele/
    path_style: true
    access_key_id: AKIAEXAMPLE
    secret_access_key: env:S3_SECRET
    storage_class: STANDARD_IA
    server_side_encryption: AES256
jobs:
  - name: everything
    source: pg
    destinations: [tg, nas]
    schedule: "0 3 * * *"
    timezone: Europe/Berlin
    format: custom
    compression: zstd
    encryption: { recipients: [${r}] }
    part_size: 19MiB
    retention: { keep_last: 14, keep_daily: 7, keep_weekly: 4, keep_monthly: 6, max_age_days: 90 }
    enabled: true
    notify:
      success: { chat_id: "-1005550001", thread_id: 2 }
      failure: { chat_id: "-1009876543210", thread_id: 3 }
    hooks:
      before: [{ run: "php artisan down", container: app, timeout: 60 }]
      after: [{ run: [php, artisan, up], container: app, timeout: 30 }]
      on_failure: [{ run: "echo failed", container: worker, timeout: 5 }]
    ping: env:PING_URL
    webhook: https://hooks.example.com/backup
    drill: { schedule: weekly, identity: env:DRILL_IDENTITY }
    anomaly: { size_below: 0.5, size_above: 3, history: 7, tables_drop: 0.1, rows_drop: 0.5, min_rows: 10 }
  - name: passphrase
    source: shop
    destinations: [nas]
    schedule: "15 4 * * 0"
    format: sql
    compression: gzip
    encryption: { passphrase: Literal-Passphrase }
    part_size: 1GiB
    retention: {}
    enabled: false
`;

  it("the sample sets every key every schema accepts", async () => {
    const { SOURCE_SCHEMAS } = await import("../sources/registry.js");
    const { DESTINATION_SCHEMAS } = await import("../destinations/registry.js");
    const { jobSchema } = await import("./job.schema.js");
    const { strictMapping } = await import("../shared/schema.js");
    const expected = new Set([
      ...Object.values(SOURCE_SCHEMAS).flatMap((s) => schemaPaths(strictMapping(s.settings, { key: "x" }), "sources")),
      ...Object.values(DESTINATION_SCHEMAS).flatMap((s) => schemaPaths(strictMapping(s.settings, { key: "x" }), "destinations")),
      ...schemaPaths(jobSchema, "jobs"),
    ]);
    expect(expected).toContain("jobs.notify.failure.thread_id");
    expect(expected).toContain("destinations.mirror_thread_id");
    const given = new Set(keyPaths(parse(sample(recipient)), "").map((p) => p.slice(1)));
    expect([...expected].filter((p) => !given.has(p)), "keys of a schema the sample does not set: add them to the sample").toEqual([]);
    expect(Object.keys(SOURCE_SCHEMAS).filter((k) => !sample(recipient).includes(`kind: ${k}`)), "source kinds without a sample").toEqual([]);
    expect(Object.keys(DESTINATION_SCHEMAS).filter((k) => !sample(recipient).includes(`kind: ${k}`)), "destination kinds without a sample").toEqual([]);
  });

  it("export → import → export keeps every field, with secrets and masked", async () => {
    const a = await setup();
    await a.io.import(sample(recipient));
    const full = a.io.export({ withSecrets: true });
    expect(parse(full)).toEqual(parse(sample(recipient)));
    const b = await setup();
    await b.io.import(full);
    expect(b.io.export({ withSecrets: true })).toBe(full);
    // masked: importing the masked export over the same data keeps every secret and changes nothing
    const masked = a.io.export();
    expect(masked).not.toContain("Literal-Shop-Pw");
    expect(masked).not.toContain("Literal-Passphrase");
    expect(await a.io.import(masked)).toMatchObject({ sources: { updated: [], created: [] }, destinations: { updated: [], created: [] }, jobs: { updated: [], created: [] } });
    expect(a.io.export({ withSecrets: true })).toBe(full);
  });
});

describe("config import: the bot's schedule rules (seconds, every 5 minutes at most)", () => {
  const config = (schedule: string, extra = "") => `
sources:
  - { name: db, kind: directory, path: /srv }
destinations:
  - { name: nas, kind: local, path: /backups }
jobs:
  - { name: j, source: db, destinations: [nas], schedule: "${schedule}", timezone: MSK${extra} }
`;

  it("refuses a seconds field and runs under 5 minutes apart, with the bot's reason and the way out", async () => {
    const t = await setup();
    expect(await importIssues(t.io, config("*/10 * * * * *"))).toEqual([
      'jobs[0].schedule: "*/10 * * * * *" has a seconds field (6 fields). Schedules are set to the minute: use 5 fields, minute hour day-of-month month day-of-week (*/10 * * * * is every 10 minutes). To keep it anyway, add allow_frequent: true to the job.',
    ]);
    expect((await importIssues(t.io, config("* * * * *")))[0]).toMatch(/^jobs\[0\]\.schedule: "\* \* \* \* \*" runs more often than every 5 minutes \(some runs only 1 min apart\)/);
    expect(await importIssues(t.io, config("* * * * *", ", allow_frequent: yes"))).toEqual([
      expect.stringMatching(/^jobs\[0\]\.allow_frequent: /),
      expect.stringMatching(/^jobs\[0\]\.schedule: .* runs more often/),
    ]);
    expect(t.counts().jobs).toBe(0);
    // in Russian too: the issue carries the key the CLI translates
    const err = (await t.io.import(config("*/10 * * * * *")).catch((e: unknown) => e)) as ValidationError;
    expect(err.issues[0]).toMatchObject({ key: "validation-schedule-seconds", params: { schedule: "*/10 * * * * *" } });
  });

  it("accepts them with allow_frequent: true, stores the zone by its IANA name, and exports the flag back", async () => {
    const t = await setup();
    await t.io.import(config("*/2 * * * * *", ", allow_frequent: true"));
    expect(t.jobs.getByName("j")).toMatchObject({ schedule: "*/2 * * * * *", timezone: "Europe/Moscow" });
    const exported = t.io.export();
    expect(exported).toMatch(/schedule: "\*\/2 \* \* \* \* \*"\n\s+allow_frequent: true\n/);
    // the export imports as it is, into this database and into a fresh one
    expect((await t.io.import(exported)).jobs.unchanged).toEqual(["j"]);
    const fresh = await setup();
    expect((await fresh.io.import(exported)).jobs.created).toEqual(["j"]);
    // a stored schedule imported unchanged passes without the flag (files exported before it)
    expect((await t.io.import(config("*/2 * * * * *"))).jobs.unchanged).toEqual(["j"]);
    expect(await importIssues(t.io, config("*/3 * * * *"))).toEqual([expect.stringMatching(/runs more often than every 5 minutes/)]);
    // a schedule the rules accept is exported without the flag
    await t.io.import(config("*/5 * * * *"));
    expect(t.io.export()).not.toContain("allow_frequent");
  });
});
