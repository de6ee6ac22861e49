import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config/env.js";
import { FULL_ADMIN_RIGHTS, type StoredMessage } from "../fake-telegram/state.js";
import { startFakeS3, type FakeS3 } from "../fake-s3/server.js";
import { createMysqlDatabase, createMysqlUser, mysqlQuery, type MysqlDatabase, type MysqlUser } from "../helpers/mysql.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

/**
 * Issue 13, items 1, 5 and 6 for sources and destinations: every setting changed from the card
 * (✏️ Edit → "Which setting…" with the current values → the same step /newsource and /newdest
 * ask → a real connection test → saved → the card again), secrets never echoed, a refused test
 * saving nothing; the connection test naming what the user may not read (a real restricted
 * PostgreSQL role and MariaDB user); channel titles for names and cards, no topic question for
 * channels, a review before saving; a Telegram destination's language.
 */
describe("editing sources and destinations from their cards", () => {
  let h: Harness;
  let checker: App;
  let pg: PgDatabase;
  let pg2: PgDatabase;
  let proxy: net.Server;
  let proxyPort: number;
  let s3: FakeS3;
  let my: MysqlDatabase;
  let myUser: MysqlUser;
  const role = `tb_edit_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: ["backups"] });
    h = await startHarness();
    // Real connection tests: the drivers of an app whose BOT_TOKEN can post to the fake's chats.
    const env = { ...h.ws.env, BOT_TOKEN: h.fake.token };
    checker = await buildApp(loadConfig(env), h.deps.log, env);
    h.deps.checkSource = (config) => checker.checkSource(config);
    h.deps.checkDestination = (config) => checker.checkDestination(config);
    await h.restart();

    pg = await createPgDatabase("src_edit");
    await pg.query("CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    pg2 = await createPgDatabase("src_edit2");
    await pg2.query(`CREATE TABLE u (id int); CREATE TABLE secret (v text); CREATE ROLE ${role} LOGIN; GRANT SELECT ON u TO ${role};`);
    // A second port to the same server: a port change that still connects.
    proxy = net.createServer((client) => {
      const upstream = net.connect(5432, "127.0.0.1");
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyPort = (proxy.address() as net.AddressInfo).port;

    my = await createMysqlDatabase("src_edit");
    await mysqlQuery(my.name, "CREATE TABLE a (id int); CREATE TABLE b (id int);");
    myUser = await createMysqlUser(my.name);
    // Only one table granted: the dump would silently leave the other out.
    await mysqlQuery(undefined, `REVOKE ALL PRIVILEGES ON \`${my.name}\`.* FROM '${myUser.user}'@'%'; GRANT SELECT ON \`${my.name}\`.a TO '${myUser.user}'@'%';`);

    h.app.sources.create({ name: "pg-src", kind: "postgres", host: "127.0.0.1", port: 5432, database: pg.name, user: "postgres" });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "pg-job", source: "pg-src", destinations: ["disk"], schedule: "0 3 * * *" });
  });
  afterAll(async () => {
    await h?.close();
    checker?.close();
    await pg?.drop();
    await pg2?.drop();
    await createPgDatabase("cleanup").then(async (db) => {
      await db.query(`DROP ROLE IF EXISTS ${role}`);
      await db.drop();
    });
    proxy?.close();
    await s3?.close();
    await myUser?.drop();
    await my?.drop();
  });

  // ------------------------------------------------------------------ helpers

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  const lastPrompt = (): StoredMessage => botMessages().filter((m) => buttonsOf(m).length > 0).at(-1)!;
  const seq = (): number => h.fake.requests.at(-1)?.seq ?? 0;
  /** The first text the bot sent or edited after request `after` matching `re` (prompts may be edited in place). */
  const botSaid = async (after: number, re: RegExp): Promise<string> => {
    const texts = () =>
      h.fake.requests
        .filter((r) => r.seq > after && ["sendmessage", "editmessagetext"].includes(r.method.toLowerCase()) && r.outcome === "ok")
        .map((r) => String(r.params.text ?? ""));
    await h.fake.waitFor(() => texts().find((t) => re.test(t)), 20_000, `a bot message matching ${re} (said: ${JSON.stringify(texts().slice(-3))})`);
    await h.idle();
    return texts().find((t) => re.test(t))!;
  };
  const send = async (text: string, re: RegExp): Promise<string> => {
    const after = seq();
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    const said = await botSaid(after, re);
    await h.fake.updateConfirmed(update);
    await h.idle();
    return said;
  };
  const click = async (label: string | RegExp, re: RegExp): Promise<string> => {
    const after = seq();
    await h.press(lastPrompt(), label);
    return botSaid(after, re);
  };
  /** /sources or /destinations → the item's card → ✏️ Edit; returns the card text and the buttons of "Which setting…". */
  const openEdit = async (command: "/sources" | "/destinations", name: string): Promise<{ card: string; menu: string[] }> => {
    const list = await h.say(command);
    await h.press(list, new RegExp(` ${name}$`));
    const card = h.current(list.message_id).text ?? "";
    const after = seq();
    await h.press(list, "✏️ Edit");
    await botSaid(after, /Which setting do you want to change\?/);
    return { card, menu: buttonsOf(lastPrompt()) };
  };
  const exported = async (): Promise<{ sources: Array<Record<string, unknown>>; destinations: Array<Record<string, unknown>>; jobs: Array<Record<string, unknown>> }> => {
    const out = await h.ws.cli(["config", "export"]);
    expect(out.code, out.stderr).toBe(0);
    return parse(out.stdout);
  };

  // ------------------------------------------------------------------ tests

  it("changes every setting of a PostgreSQL source; a refused test saves nothing; the job follows and runs with the new settings", async () => {
    const { menu } = await openEdit("/sources", "pg-src");
    expect(menu).toEqual(["Host: 127.0.0.1", "Port: 5432", `Database: ${pg.name}`, "User: postgres", "Password: none", "Name: pg-src", "✖️ Cancel"]);

    // A port nothing listens on: refused, the reason shown, nothing saved.
    await click("Port: 5432", /Port/);
    await send("1", /Testing the connection to postgres@127\.0\.0\.1:1\//);
    const refused = await botSaid(0, /The connection test failed/);
    expect(refused).toMatch(/refused|port 1/i);
    expect(refused).toContain("Nothing was saved");
    expect(buttonsOf(lastPrompt())).toEqual(["🔁 Try again", "✏️ Change a setting", "✖️ Cancel"]);
    await click("Cancel", /Nothing was changed/);
    expect(h.app.sources.getByName("pg-src")?.port).toBe(5432);

    await openEdit("/sources", "pg-src");
    await click("Port: 5432", /Port/);
    const saved = await send(String(proxyPort), /Source "pg-src" saved/);
    expect(saved).toContain("connection test passed: PostgreSQL");
    expect(saved).toContain(`127.0.0.1:${proxyPort}`); // the card again
    expect(saved).toContain("Used by: pg-job");

    await openEdit("/sources", "pg-src");
    await click("Host: 127.0.0.1", /Host name/);
    await send("localhost", /Source "pg-src" saved/);

    await openEdit("/sources", "pg-src");
    await click("Database:", /Name of the database/);
    await send(pg2.name, /Source "pg-src" saved/);

    // A role that may not read one table: the test names it, and saves once it may.
    await openEdit("/sources", "pg-src");
    await click("User: postgres", /User name/);
    await send(role, /Testing the connection/);
    const unreadable = await botSaid(0, /cannot read everything/);
    expect(unreadable).toContain("public.secret");
    expect(unreadable).not.toContain("public.u");
    expect(h.app.sources.getByName("pg-src")?.user).toBe("postgres");
    await pg2.query(`GRANT SELECT ON secret TO ${role}`);
    await click("Try again", /Source "pg-src" saved/);

    const password = `pw-${Math.random().toString(36).slice(2)}-edit`;
    await openEdit("/sources", "pg-src");
    await click("Password: none", /Password of/);
    await send(password, /Source "pg-src" saved/);
    expect(h.fake.messages(ADMIN_ID).some((m) => m.text === password)).toBe(false); // deleted by the bot
    expect(h.fake.allTextSent().join("\n")).not.toContain(password);
    expect(h.logLines.join("\n")).not.toContain(password);
    expect((await h.app.sources.resolve("pg-src")).config).toMatchObject({ password });

    const renamed = await openEdit("/sources", "pg-src");
    expect(renamed.menu).toContain("Password: •••• (set)");
    await click("Name: pg-src", /Name for this source/);
    await send("pg-renamed", /Source "pg-renamed" saved/);

    const config = await exported();
    expect(config.sources).toContainEqual({ name: "pg-renamed", kind: "postgres", host: "localhost", port: proxyPort, database: pg2.name, user: role, password: "***" });
    expect(config.jobs).toContainEqual(expect.objectContaining({ name: "pg-job", source: "pg-renamed" }));
    const job = h.app.jobs.getByName("pg-job")!;
    const run = await h.app.runner.run(await h.app.jobs.resolve(job.id), { trigger: "manual" });
    expect(run.status).toBe("success");
  });

  it("a folder's exclude patterns show on its card, survive an edit of its path, change from the card, are exported, and a bad one is refused", async () => {
    const first = path.join(h.ws.dir, "site-a");
    const second = path.join(h.ws.dir, "site-b");
    for (const dir of [first, second]) mkdirSync(path.join(dir, "cache"), { recursive: true });
    h.app.sources.create({ name: "site", kind: "directory", path: first, exclude: ["*.log", "cache/"] });

    const { card } = await openEdit("/sources", "site");
    expect(card).toContain("Left out: *.log, cache/");
    await click(`Path: ${first}`, /Absolute path of the folder/);
    const saved = await send(second, /Source "site" saved/);
    expect(saved).toContain("Left out: *.log, cache/");
    expect((await exported()).sources).toContainEqual({ name: "site", kind: "directory", path: second, exclude: ["*.log", "cache/"] });

    // Changed from the card: a bad pattern is refused, new ones are saved, "Back up everything" clears them.
    await openEdit("/sources", "site");
    await click("Left out: *.log, cache/", /Anything in it to leave out/);
    await send("a/../b", /"a\/\.\.\/b" is not an exclude pattern/);
    expect(await send("*.tmp, node_modules/", /Source "site" saved/)).toContain("Left out: *.tmp, node_modules/");
    expect(h.app.sources.getByName("site")).toMatchObject({ exclude: ["*.tmp", "node_modules/"] });
    await openEdit("/sources", "site");
    await click("Left out: *.tmp, node_modules/", /Anything in it to leave out/);
    expect(await click("Back up everything", /Source "site" saved/)).not.toContain("Left out");
    expect(h.app.sources.getByName("site")).not.toHaveProperty("exclude");
    await openEdit("/sources", "site");
    await click("Left out", /Anything in it to leave out/);
    await send("*.log\ncache/", /Source "site" saved/);

    // A backup leaves them out.
    writeFileSync(path.join(second, "keep.txt"), "kept");
    writeFileSync(path.join(second, "debug.log"), "left out");
    writeFileSync(path.join(second, "cache", "blob.bin"), "left out");
    h.app.jobs.create({ name: "site-job", source: "site", destinations: ["disk"], schedule: "0 3 * * *", compression: "none" });
    const run = await h.app.runner.run(await h.app.jobs.resolve("site-job"), { trigger: "manual" });
    expect(run.status).toBe("success");
    expect(execFileSync("tar", ["-tf", path.join(h.backupsDir, "site-job", `${run.fileName}.001`)], { encoding: "utf8" }).trim().split("\n")).toEqual(["keep.txt"]);

    const bad = await h.ws.cli(["config", "import", h.ws.writeFile("bad-exclude.yaml", `sources:\n  - { name: site2, kind: directory, path: ${second}, exclude: ["../up", 7] }\n`)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`sources[0].exclude[0]: "../up" is not an exclude pattern`);
    expect(bad.stderr).toContain("sources[0].exclude[1]: 7 is not an exclude pattern");
    expect(h.app.sources.getByName("site2")).toBeNull();
  });

  it("refuses a MariaDB user that may read only some tables, naming the missing rights", async () => {
    h.app.sources.create({ name: "shop", kind: "mysql", host: "127.0.0.1", port: 3306, database: my.name, user: myUser.user, password: myUser.password });
    await openEdit("/sources", "shop");
    await click("Host: 127.0.0.1", /Host name/);
    await send("localhost", /Testing the connection/);
    const refused = await botSaid(0, /lacks/);
    expect(refused).toContain(`user ${myUser.user} lacks SELECT, TRIGGER, EVENT on database ${my.name}`);
    expect(refused).not.toContain(myUser.password);
    await click("Cancel", /Nothing was changed/);
    expect(h.app.sources.getByName("shop")?.host).toBe("127.0.0.1");
  });

  it("/newdest: a channel's title names it, no topic question, a review with the admin's language; a forum group gets the topic question", async () => {
    const alpha = h.fake.createChannel({ title: "Alpha Backups" });
    const forum = h.fake.createGroup({ title: "Ops Forum", isForum: true, topics: [7, 8] });

    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    await send(String(forum.id), /Forum topic\?/);
    await send("/cancel", /Cancelled/);

    await send("/newdest", /Where should backups be delivered/);
    await click("Telegram channel or group", /Which chat\?/);
    const next = await send(String(alpha.id), /Which bot should post/);
    expect(next).not.toMatch(/Forum topic/);
    await click("This bot", /Mirror chat\?/);
    await click("No mirror", /Name for this destination/);
    expect(buttonsOf(lastPrompt())).toEqual(["Use alpha-backups"]);
    await click("Use alpha-backups", /Testing chat Alpha Backups/);
    const review = await botSaid(0, /Review the new destination/);
    expect(review).toContain(`Chat: Alpha Backups (${alpha.id})`);
    expect(review).toContain("Language of posts: English");
    expect(buttonsOf(lastPrompt())).toEqual(["💾 Save", "✏️ Change a setting", "✖️ Cancel"]);
    expect(h.app.destinations.getByName("alpha-backups")).toBeNull();
    await click("💾 Save", /Destination "alpha-backups" saved/);
    expect(h.app.destinations.getByName("alpha-backups")).toMatchObject({ chat_id: String(alpha.id), language: "en" });
  });

  it("changes every setting of a Telegram destination: chat, topic, mirror, bot, language, name", async () => {
    const forum = h.fake.createGroup({ title: "Ops Forum", isForum: true, topics: [7, 8] });
    const mirror = h.fake.createChannel({ title: "Mirror Vault" });
    const otherToken = h.fake.addBot({ username: "edit_other_bot" });
    for (const chat of [forum.id, mirror.id]) h.fake.setBotMembership(chat, { status: "administrator", rights: FULL_ADMIN_RIGHTS }, otherToken);

    const { card, menu } = await openEdit("/destinations", "alpha-backups");
    expect(card).toContain("Chat: Alpha Backups (");
    expect(menu.filter((b) => b.startsWith("Topic"))).toEqual([]); // a channel has no topics
    expect(menu).toEqual(expect.arrayContaining(["Bot: this bot", "Mirror chat: none", "Language: English", "Name: alpha-backups"]));

    await click("Chat: Alpha Backups", /Which chat\?/);
    await send(String(forum.id), /Forum topic\?/);
    expect(await send("7", /Destination "alpha-backups" saved/)).toContain(`Chat: Ops Forum (${forum.id})`);

    await openEdit("/destinations", "alpha-backups");
    await click("Topic: 7", /Forum topic\?/);
    expect(await send("8", /Destination "alpha-backups" saved/)).toContain("Topic: 8");

    await openEdit("/destinations", "alpha-backups");
    await click("Mirror chat: none", /Mirror chat\?/);
    expect(await send(String(mirror.id), /Destination "alpha-backups" saved/)).toContain(`Mirror chat: Mirror Vault (${mirror.id})`);

    await openEdit("/destinations", "alpha-backups");
    await click("Bot: this bot", /Which bot should post/);
    await click("Another bot", /token of the other bot/);
    await send(otherToken, /Destination "alpha-backups" saved/);
    expect(h.fake.allTextSent().join("\n")).not.toContain(otherToken);
    expect(h.fake.messages(ADMIN_ID).some((m) => m.text === otherToken)).toBe(false);

    await openEdit("/destinations", "alpha-backups");
    await click("Language: English", /In which language/);
    expect(await click("Русский", /Destination "alpha-backups" saved/)).toContain("Language of posts: Русский");

    await openEdit("/destinations", "alpha-backups");
    await click("Name: alpha-backups", /Name for this destination/);
    await send("ops-forum", /Destination "ops-forum" saved/);

    const config = await exported();
    expect(config.destinations).toContainEqual({
      name: "ops-forum",
      kind: "telegram",
      chat_id: String(forum.id),
      thread_id: 8,
      bot_token: "***",
      mirror_chat_id: String(mirror.id),
      language: "ru",
    });
    expect((await h.app.destinations.resolve("ops-forum")).config).toMatchObject({ botToken: otherToken });
  });

  it("changes the secret key of an S3 destination; a wrong one is refused and saves nothing", async () => {
    h.app.destinations.create({
      name: "bucket", kind: "s3", endpoint: s3.endpoint, region: s3.region, bucket: "backups", path_style: true, access_key_id: s3.accessKeyId, secret_access_key: "stale-secret-key-000000000000",
    });
    const { menu } = await openEdit("/destinations", "bucket");
    expect(menu).toEqual(expect.arrayContaining(["Bucket: backups", `Endpoint: ${s3.endpoint}`, "Secret access key: •••• (set)"]));
    await click("Secret access key", /Secret access key\?/);
    await send("still-wrong-secret-key-11111111", /Testing bucket backups/);
    await botSaid(0, /SignatureDoesNotMatch/);
    await click("Change a setting", /Which setting/);
    await click("Secret access key", /Secret access key\?/);
    await send(s3.secretAccessKey, /Destination "bucket" saved/);
    expect((await h.app.destinations.resolve("bucket")).config).toMatchObject({ secretAccessKey: s3.secretAccessKey });
    expect(h.fake.allTextSent().join("\n")).not.toContain(s3.secretAccessKey);
    const config = await exported();
    expect(config.destinations).toContainEqual(expect.objectContaining({ name: "bucket", secret_access_key: "***" }));
  });
});
