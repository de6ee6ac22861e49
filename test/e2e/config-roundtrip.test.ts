import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

/**
 * Issue 9, item 9 through the real CLI: `config export` of a configuration that uses every
 * documented key, `config import` into an empty DATA_DIR, `config export` again: the same bytes,
 * masked and `--with-secrets`. (src/services/config-io.service.test.ts checks the key coverage.)
 */
describe("config export → import → export", () => {
  const spaces: Workspace[] = [];
  let fake: FakeTelegram;
  const workspace = () => {
    // import checks Telegram chats: the fake Bot API has the forum group and its topic 12
    const ws = createWorkspace({ TELEGRAM_API_ROOT: fake.apiRoot, OTHER_BOT_TOKEN: fake.token });
    spaces.push(ws);
    return ws;
  };
  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createGroup({ id: -1001234567890, title: "Backups", isForum: true, topics: [12] });
  });
  afterAll(async () => {
    for (const ws of spaces) ws.remove();
    await fake?.close();
  });

  it("gives the same bytes in an empty data folder, notify routes included", async () => {
    const recipient = await identityToRecipient(await generateIdentity());
    const yaml = `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: app, user: postgres, password: env:APP_DB_PASSWORD }
  - { name: shop-db, kind: mysql, host: mariadb, port: 3306, database: shop, user: root, password: "Literal-Shop-Pw" }
  - { name: notes, kind: sqlite, path: /data/notes.sqlite }
  - { name: uploads, kind: volume, volume: myproject_uploads }
  - { name: configs, kind: directory, path: /srv/configs }
destinations:
  - { name: main-channel, kind: telegram, chat_id: "-1001234567890", thread_id: 12, bot_token: env:OTHER_BOT_TOKEN }
  - { name: nas, kind: local, path: /backups }
jobs:
  - name: app-nightly
    source: app-db
    destinations: [main-channel, nas]
    schedule: "0 3 * * *"
    timezone: Europe/Berlin
    format: sql
    compression: gzip
    encryption: { recipients: [${recipient}] }
    part_size: 19MiB
    retention: { keep_last: 14, keep_daily: 7, keep_weekly: 4, keep_monthly: 6 }
    notify:
      failure: { chat_id: "-1009876543210", thread_id: 3 }
    enabled: true
  - { name: shop, source: shop-db, destinations: [nas], schedule: "0 4 * * *", encryption: { passphrase: env:BACKUP_PASSPHRASE }, enabled: false }
`;
    const a = workspace();
    const imported = await a.cli(["config", "import", a.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);

    for (const flags of [[], ["--with-secrets"]]) {
      const first = await a.cli(["config", "export", ...flags]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('    notify:\n      failure: { chat_id: "-1009876543210", thread_id: 3 }\n');
      const b = workspace();
      // the masked export holds "***" for the literal password: an empty folder needs the real one
      const text = flags.length ? first.stdout : first.stdout.replace('password: "***"', 'password: "Literal-Shop-Pw"');
      const again = await b.cli(["config", "import", b.writeFile("exported.yaml", text)]);
      expect(again.code, again.stderr).toBe(0);
      const second = await b.cli(["config", "export", ...flags]);
      expect(second.stdout).toBe(first.stdout);
    }
    // seven CLI processes: on a busy two-core machine each takes seconds
  }, 300_000);
});

describe("config import refusals", () => {
  it("names every problem with its path, in the CLI's language", async () => {
    const ws = createWorkspace();
    try {
      const bad = ws.writeFile("bad.yaml", "sources:\n  - { name: db, kind: postgres, host: 127.0.0.1, port: 99999, database: app, user: postgres }\njobs:\n  - { name: j, source: ghost, destinations: [nas], schedule: \"61 * * * *\" }\n");
      const en = await ws.cli(["config", "import", bad], { LANG: "C.UTF-8" });
      expect(en.code).toBe(1);
      expect(en.stderr).toContain("  sources[0].port: must be a whole number between 1 and 65535, got 99999\n");
      expect(en.stderr).toContain('  jobs[0].source: no source named "ghost"\n');
      const ru = await ws.cli(["config", "import", bad], { LANG: "ru_RU.UTF-8" });
      expect(ru.code).toBe(1);
      expect(ru.stderr).toContain("  sources[0].port: должно быть целым числом от 1 до 65535, получено 99999\n");
      expect(ru.stderr).toContain("  jobs[0].source: нет источника с именем «ghost»\n");
      expect(ru.stderr).toContain("  jobs[0].destinations[0]: нет получателя с именем «nas»\n");
    } finally {
      ws.remove();
    }
  }, 120_000);
});
