import { writeFileSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Discovery } from "../../src/application/discover.js";
import { createDockerClient } from "../../src/docker/client.js";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "../bot/harness.js";
import { testDocker } from "../helpers/docker-engine.js";
import { createMysqlDatabase, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";

/**
 * /discover and `tele-backup discover` against the test Docker Engine. The "database
 * containers" are the local helper image retagged as postgres/redis/mariadb, sleeping in the
 * host's network, so that 127.0.0.1:5432/6379/3306 — the machine's real servers — are the
 * databases "in" them; their environment carries the credentials as Compose files do.
 */
describe("Compose discovery", () => {
  let docker: Docker;
  let h: Harness;
  let pg: PgDatabase;
  /** The `*_FILE` container's database: another one, as two containers are never the same host:port/database. */
  let pg2: PgDatabase;
  let my: MysqlDatabase;
  const run = `${process.pid}${Date.now().toString(36)}`;
  const project = `shop${run}`;
  const volume = `${project}_data`;
  const secret = `pg-literal-secret-${run}`;
  const fileSecret = `pg-file-secret-${run}`;
  const created: Docker.Container[] = [];
  let secretFile: string;

  const container = async (name: string, image: string, service: string, env: string[]): Promise<Docker.Container> => {
    const c = await docker.createContainer({
      name: `tb-disc-${name}-${run}`,
      Image: image,
      Cmd: ["sleep", "3600"],
      Env: env,
      Labels: { "com.docker.compose.project": project, "com.docker.compose.service": service },
      HostConfig: { NetworkMode: "host" },
    });
    created.push(c);
    await c.start();
    return c;
  };

  beforeAll(async () => {
    const engine = testDocker();
    docker = engine.docker;
    const helper = docker.getImage(engine.helperImage);
    await helper.tag({ repo: "postgres", tag: "16-test" });
    await helper.tag({ repo: "redis", tag: "7-test" });
    await helper.tag({ repo: "mariadb", tag: "11-test" });
    pg = await createPgDatabase("discover");
    pg2 = await createPgDatabase("discover_file");
    await pg.query("create table items (id int primary key, name text); insert into items values (1, 'one'), (2, 'two');");
    my = await createMysqlDatabase("discover");

    h = await startHarness();
    // the real connection test for /newsource too (the harness's default checks nothing)
    h.deps.checkSource = (config) => h.app.checkSource(config);
    await h.restart();
    secretFile = path.join(h.ws.dir, "pg-password");
    writeFileSync(secretFile, `${fileSecret}\n`);

    await container("pg", "postgres:16-test", "db", [`POSTGRES_USER=postgres`, `POSTGRES_PASSWORD=${secret}`, `POSTGRES_DB=${pg.name}`]);
    await container("pgfile", "postgres:16-test", "db-file", [`POSTGRES_PASSWORD_FILE=${secretFile}`, `POSTGRES_DB=${pg2.name}`, "PGPORT=5432"]);
    await container("broken", "postgres:16-test", "broken", [`POSTGRES_PASSWORD=${secret}`, `POSTGRES_DB=no_such_database_${run}`]);
    await container("spaced", "postgres:16-test", "spaced", ["POSTGRES_USER= postgres", `POSTGRES_PASSWORD=${secret}`, `POSTGRES_DB=spaced_${run}`]);
    await container("cache", "docker.io/library/redis:7-test", "cache", []);
    await container("sql", "mariadb:11-test", "sql", ["MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1", `MARIADB_DATABASE=${my.name}`]);
    await docker.createVolume({ Name: volume, Labels: { "com.docker.compose.project": project, "com.docker.compose.volume": "data" } });
  }, 120_000);

  afterAll(async () => {
    for (const c of created) await c.remove({ force: true }).catch(() => undefined);
    await docker?.getVolume(volume).remove({ force: true }).catch(() => undefined);
    await h?.close();
    await pg?.drop();
    await pg2?.drop();
    await my?.drop();
  });

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  const maxId = (): number => Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(() => botMessages().find((m) => m.message_id > after && re.test(m.text ?? "")), 20_000, `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`);
  /** /discover; resolves with the list message (the one with the buttons). */
  const discover = async (): Promise<StoredMessage> => {
    const after = maxId();
    const update = h.fake.sendUserMessage(ADMIN_ID, "/discover");
    await h.fake.updateConfirmed(update);
    await h.idle();
    return h.fake.waitFor(() => botMessages().find((m) => m.message_id > after && buttonsOf(m).length > 0), 20_000, "the /discover list");
  };
  const tap = async (list: StoredMessage, label: string | RegExp, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    await h.press(list, label);
    return waitBot(after, expect);
  };

  it("lists the database containers and the volume with their Compose names; one tap each makes a working source", async () => {
    const list = await discover();
    const buttons = buttonsOf(list);
    for (const b of [`➕ postgres · ${project}/db`, `➕ postgres · ${project}/db-file`, `➕ redis · ${project}/cache`, `➕ mysql · ${project}/sql`, `➕ volume · ${project}/data`]) {
      expect(buttons).toContain(b);
    }
    expect(list.text).toContain(`${project}/db (postgres:16-test): postgres@127.0.0.1:5432/${pg.name}`);
    expect(list.text).toContain(`${project}/cache (docker.io/library/redis:7-test): redis://127.0.0.1:6379`);
    expect(list.text).toContain(`${project}/data (volume): ${volume}`);

    const saved = await tap(list, `postgres · ${project}/db`, /Source "db" \(postgres\) saved/);
    expect(saved.text).toMatch(/Connection test passed/);
    expect(saved.text).toMatch(/Server: PostgreSQL \d+/);
    expect(saved.text).toContain("The password is stored encrypted.");
    expect(buttonsOf(saved)).toEqual(['Source "db"']);
    const viaFile = await tap(list, `postgres · ${project}/db-file`, /Source "db-file" \(postgres\) saved/);
    expect(viaFile.text).toContain(`The password is read from file:${secretFile} at each run`);
    await tap(list, `redis · ${project}/cache`, /Source "cache" \(redis\) saved/);
    await tap(list, `volume · ${project}/data`, new RegExp(`Source "${volume}" \\(volume\\) saved`));

    expect(h.app.sources.getByName("db", { withSecrets: true })).toMatchObject({ kind: "postgres", host: "127.0.0.1", port: 5432, database: pg.name, user: "postgres", password: secret });
    expect(h.app.sources.getByName("db-file", { withSecrets: true })).toMatchObject({ kind: "postgres", user: "postgres", database: pg2.name, password: `file:${secretFile}` });
    expect(h.app.sources.getByName("cache")).toMatchObject({ kind: "redis", host: "127.0.0.1", port: 6379 });
    expect(h.app.sources.getByName(volume)).toMatchObject({ kind: "volume", volume });
    // stored encrypted: the literal is in no row of the database file
    expect(h.app.sources.rowByName("db")!.passwordEnc).not.toContain(secret);

    // the card button opens the source's card
    await h.press(saved, 'Source "db"');
    expect(h.current(saved.message_id).text).toMatch(/🐘 Source: db \(postgres\)/);

    // the chat never showed the password
    expect(h.fake.allTextSent().join("\n")).not.toContain(secret);
    expect(h.fake.allTextSent().join("\n")).not.toContain(fileSecret);
  });

  it("`config export` shows them without plaintext secrets, and each discovered source backs up (verified)", async () => {
    const exported = await h.ws.cli(["config", "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`name: db`);
    expect(exported.stdout).toContain(`file:${secretFile}`);
    expect(exported.stdout).not.toContain(secret);

    const disk = path.join(h.ws.dir, "disk");
    const jobs = { "shop-db": "db", "shop-db-file": "db-file", "shop-cache": "cache", "shop-data": volume };
    const yaml = [
      "destinations:",
      `  - { name: disk, kind: local, path: ${disk} }`,
      "jobs:",
      ...Object.entries(jobs).map(([job, source]) => `  - { name: ${job}, source: ${source}, destinations: [disk], schedule: "0 3 * * *" }`),
    ].join("\n");
    const imported = await h.ws.cli(["config", "import", h.ws.writeFile("jobs.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const job of Object.keys(jobs)) {
      const r = await h.ws.cli(["backup", job], { HELPER_IMAGE: testDocker().helperImage });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/verified: yes/);
    }
  });

  it("a container whose database does not exist: the tap says why and saves nothing", async () => {
    const before = h.app.sources.list().length;
    const list = await discover();
    const failed = await tap(list, `postgres · ${project}/broken`, /Not added, nothing was saved/);
    expect(failed.text).toContain("the connection test failed");
    expect(failed.text).toContain(`no_such_database_${run}`);
    expect(failed.text).not.toContain(secret);
    expect(h.app.sources.getByName("broken")).toBeNull();

    // settings the service refuses (a user name with a leading space): the field and why, nothing saved
    const refused = await tap(list, `postgres · ${project}/spaced`, /Not added, nothing was saved/);
    expect(refused.text).toMatch(/the settings found are not valid \(user\): .*space/i);
    expect(refused.text).not.toContain(secret);
    expect(h.app.sources.list().length).toBe(before);
  });

  it("a connection test whose error quotes the password: the reason carries *** instead", async () => {
    // A driver that echoes its input (the real ones do not, as far as we know): the redaction is the last guard.
    const echoing = new Discovery({
      docker: () => docker,
      sources: h.app.sources,
      checkSource: async (config) => {
        throw new Error(`login with ${JSON.stringify(config)} refused`);
      },
    });
    const finding = (await echoing.list()).find((f) => f.label === `${project}/broken`)!;
    const result = await echoing.add(finding.ref);
    expect(result.kind).toBe("failed");
    const text = JSON.stringify(result);
    expect(text).toContain("***");
    expect(text).not.toContain(secret);
    expect(h.app.sources.getByName("broken")).toBeNull();
  });

  it("covered containers and volumes are marked ✓, and tapping one adds nothing", async () => {
    const list = await discover();
    const buttons = buttonsOf(list);
    expect(buttons).toContain(`✓ volume · ${project}/data`);
    expect(buttons).toContain(`✓ postgres · ${project}/db`);
    expect(buttons).toContain(`✓ redis · ${project}/cache`);
    expect(buttons).toContain(`➕ postgres · ${project}/broken`);
    expect(list.text).toContain(`already backed up by source "${volume}"`);
    const before = h.app.sources.list().length;
    await tap(list, `volume · ${project}/data`, new RegExp(`Nothing to add: source "${volume}" already backs this up`));
    expect(h.app.sources.list().length).toBe(before);
  });

  it("an old button after a restart is looked up again: a removed container is said to be gone", async () => {
    const extra = await container("gone", "postgres:16-test", "gone", [`POSTGRES_DB=gone_${run}`]);
    const list = await discover();
    expect(buttonsOf(list)).toContain(`➕ postgres · ${project}/gone`);
    await extra.remove({ force: true });
    await h.restart();
    await tap(list, `postgres · ${project}/gone`, /no longer there/);
    expect(h.app.sources.getByName("gone")).toBeNull();
  });

  it("`tele-backup discover` prints the table; `--add` tests and saves one (MariaDB here)", async () => {
    const listed = await h.ws.cli(["discover"]);
    expect(listed.code, listed.stderr).toBe(0);
    const row = (label: string) => listed.stdout.split("\n").find((l) => l.includes(` ${label} `)) ?? "";
    expect(row(`${project}/sql`)).toMatch(new RegExp(`mysql\\s+${project}/sql\\s+root@127\\.0\\.0\\.1:3306/${my.name}\\s+new: would be "sql"`));
    expect(row(`${project}/db`)).toMatch(/✓ source db/);
    expect(listed.stdout).not.toContain(secret);

    const added = await h.ws.cli(["discover", "--add", `${project}/sql`]);
    expect(added.code, added.stdout + added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Source "sql" \(mysql\) saved/);
    expect(h.app.sources.getByName("sql")).toMatchObject({ kind: "mysql", user: "root", database: my.name });

    const broken = await h.ws.cli(["discover", "--add", `${project}/broken`]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/Not added, nothing was saved: the connection test failed/);
    expect(broken.stdout + broken.stderr).not.toContain(secret);
    const russian = await h.ws.cli(["discover", "--add", `${project}/broken`], { LANG: "ru_RU.UTF-8", LC_ALL: "", LC_MESSAGES: "" });
    expect(russian.code).toBe(1);
    expect(russian.stderr).toMatch(/Не добавлено, ничего не сохранено: проверка подключения не прошла/);
    expect(h.app.sources.getByName("broken")).toBeNull();
  });

  it("Docker not reachable: a clear message in the chat and from the CLI, no crash", async () => {
    const nowhere = `unix://${path.join(h.ws.dir, "no-docker.sock")}`;
    const r = await h.ws.cli(["discover"], { DOCKER_HOST: nowhere });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach Docker/);

    h.deps.discovery = new Discovery({ docker: () => createDockerClient(nowhere), sources: h.app.sources, checkSource: (c) => h.app.checkSource(c) });
    await h.restart();
    const after = maxId();
    h.fake.sendUserMessage(ADMIN_ID, "/discover");
    const reply = await waitBot(after, /Cannot reach Docker/);
    expect(reply.text).toContain("DOCKER_HOST");
  });
});
