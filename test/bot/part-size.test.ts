import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastSuccessFromRuns } from "../../src/lifecycle/deadman.js";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";
import { editedSince, requestSeq } from "./edited.js";

const CHANNEL = -1001234567890;
const MiB = 1024 * 1024;

/**
 * Issue 9, item 5: ✅ means restorable by this tool. With the cloud Bot API in force
 * (TELEGRAM_SELF_HOSTED=false), a part size the channel could never hand back is refused where
 * the job is saved, and a run whose parts were not all read back says ⚠️ everywhere.
 */
describe("part sizes a destination can give back, and ⚠️ for runs not read back", () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness({ withNotifier: true, selfHosted: false });
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    dir = path.join(h.ws.dir, "configs");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "app.conf"), "answer = 42\n");
    h.app.sources.create({ name: "configs", kind: "directory", path: dir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
  });
  afterAll(async () => {
    await h?.close();
  });

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  /** Request seq when `maxId()` was last taken: a prompt the bot edits after it counts as a new message. */
  let markSeq = 0;
  const maxId = (): number => {
    markSeq = requestSeq(h.fake);
    return Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  };
  const lastPrompt = (): StoredMessage => botMessages().filter((m) => buttonsOf(m).length > 0).at(-1)!;
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(() => botMessages().find((m) => (m.message_id > after || editedSince(h.fake, markSeq).has(m.message_id)) && re.test(m.text ?? "")), 20_000, `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-2).map((m) => m.text))})`);
  const send = async (text: string, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    const reply = await waitBot(after, expect);
    await h.fake.updateConfirmed(update);
    await h.idle();
    return reply;
  };
  const click = async (label: string | RegExp, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    await h.press(lastPrompt(), label);
    return waitBot(after, expect);
  };
  /** /newjob up to the part-size question, delivering to `destination`. */
  const newJobUntilPartSize = async (name: string, destination: string) => {
    await send("/newjob", /Which source/);
    await click("configs", /Where should the backups go/);
    const picker = lastPrompt();
    await h.press(picker, destination);
    const after = maxId();
    await h.press(picker, "Done");
    await waitBot(after, /Name for the job/);
    await send(name, /Time zone/);
    await click("UTC (default)", /When should it run/);
    await click("Every 6 hours", /next runs/);
    await click("Looks right", /Compression/);
    await click("none", /Encrypt/);
    // Unencrypted backups to a Telegram chat are warned about first (issue 13, item 5).
    if (destination === "channel") await click("No encryption", /Without encryption, anyone who can read channel/);
    await click(destination === "channel" ? "Go on without encryption" : "No encryption", /Largest size/);
  };
  const finish = async (name: string) => {
    await click("Keep everything", /success messages/);
    await click("The destination chats", /failure alerts/);
    const review = await click("The destination chats", /Review the new job/);
    // The review repeats the warning about unencrypted backups in a Telegram chat (issue 13, item 5).
    const warning = "⚠️ Not encrypted: anyone who can read channel can open these backups.";
    if (name === "to-channel") expect(review.text).toContain(warning);
    else expect(review.text).not.toContain("Not encrypted");
    await click("Create the job", new RegExp(`Job "${name}" created`));
  };

  it("/newjob refuses 30MiB for a cloud Telegram channel with the limit and the fix, asks again, and accepts it for a local folder", async () => {
    await newJobUntilPartSize("to-channel", "channel");
    const refused = await send("30MiB", /20 MB a bot can download/);
    expect(refused.text).toContain(
      '⚠️ 30 MiB is above the 20 MB a bot can download from the cloud Bot API, so parts stored in "channel" could never be read back or restored by this tool. Send 19MiB or less (or use a self-hosted Bot API server, which takes parts up to 2000 MB).',
    );
    // ...and the same question again
    expect(refused.text).toMatch(/\n\nLargest size of one part file\?/);
    expect(h.app.jobs.getByName("to-channel")).toBeNull();
    // asked again: a valid size moves on
    await send("19MiB", /How many backups/);
    await finish("to-channel");
    expect(h.app.jobs.getByName("to-channel")).toMatchObject({ part_size: 19 * MiB, destinations: ["channel"] });

    await newJobUntilPartSize("to-disk", "disk");
    await send("30MiB", /How many backups/);
    await finish("to-disk");
    expect(h.app.jobs.getByName("to-disk")).toMatchObject({ part_size: 30 * MiB, destinations: ["disk"] });

    // Adding the channel to the job that uses 30MiB parts is refused too (the job card's destinations).
    expect(() => h.app.jobs.update("to-disk", { destinations: ["disk", "channel"] })).toThrow(
      'part_size: 30 MiB is above the 20 MB a bot can download from the cloud Bot API (destination "channel"); use 19MiB or a self-hosted Bot API server (parts up to 2000 MB)',
    );
  });

  it("config import refuses 30MiB for a cloud Telegram channel (path, limit, fix; nothing written) and accepts it for a folder or a self-hosted API", async () => {
    const yaml = (destination: string, name = "imported") => `
jobs:
  - { name: ${name}, source: configs, destinations: [${destination}], schedule: "0 3 * * *", part_size: 30MiB }
`;
    const refused = await h.ws.cli(["config", "import", h.ws.writeFile("cloud.yaml", yaml("channel"))], { TELEGRAM_SELF_HOSTED: "false" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'jobs[0].part_size: 30 MiB is above the 20 MB a bot can download from the cloud Bot API (destination "channel"); use 19MiB or a self-hosted Bot API server (parts up to 2000 MB)',
    );
    expect(h.app.jobs.getByName("imported")).toBeNull();

    const selfHosted = await h.ws.cli(["config", "import", h.ws.writeFile("self.yaml", yaml("channel", "imported-self-hosted"))], { TELEGRAM_SELF_HOSTED: "true" });
    const local = await h.ws.cli(["config", "import", h.ws.writeFile("local.yaml", yaml("disk"))], { TELEGRAM_SELF_HOSTED: "false" });
    expect(local.code, local.stderr).toBe(0);
    expect(h.app.jobs.getByName("imported")).toMatchObject({ part_size: 30 * MiB, destinations: ["disk"] });
    expect(selfHosted.code, selfHosted.stderr).toBe(0);
    expect(h.app.jobs.getByName("imported-self-hosted")).toMatchObject({ part_size: 30 * MiB, destinations: ["channel"] });
  });

  it("a run whose part could not be read back is ⚠️ in the channel, /status, /logs and backup --json, and is no good backup for retention or the dead-man check", async () => {
    // A job saved before the rule existed: 30MiB parts into the cloud channel, keep_last 1.
    const source = h.app.jobsRepo.findByName("to-channel")!;
    const legacy = h.app.jobsRepo.insert(
      { name: "legacy", sourceId: source.sourceId, schedule: "0 3 * * *", timezone: null, format: "tar", compression: "none", recipients: [], passphraseEnc: null, partSize: 30 * MiB, retention: { keep_last: 1 }, enabled: true },
      source.destinationIds,
    );
    const good = await h.app.executor.execute("legacy", "manual");
    expect(good).toMatchObject({ status: "success", verified: true });

    // Now the payload outgrows the 20 MB the cloud API hands back: its one part is stored but cannot be read back.
    writeFileSync(path.join(dir, "big.bin"), randomBytes(21 * MiB));
    const result = await h.app.executor.execute("legacy", "manual");
    expect(result).toMatchObject({ status: "success", verified: false, parts: 1 });

    const channelText = (h.fake.messages(CHANNEL).filter((m) => m.text?.includes("legacy")).at(-1)?.text ?? "");
    expect(channelText).toMatch(/^⚠️ Backup stored but NOT verified: legacy/);
    expect(channelText).toContain("cannot promise to restore this backup");
    expect(channelText).not.toContain("✅");

    const status = await h.say("/status");
    expect(status.text).toMatch(/⚠️ legacy\n(?:(?:✅|⚠️|❌)+\n)?Last: ⚠️ stored, NOT verified, /);
    expect(status.text).toContain(`⚠️ Run #${result.runId} was not read back in full: this tool cannot promise to restore it.`);
    expect(status.text).not.toMatch(/all backing up on time/);

    const logs = await h.say("/logs legacy");
    expect(logs.text).toMatch(new RegExp(`#${result.runId} · legacy · run now\\n⚠️ stored, NOT verified · `));
    expect(logs.text).toMatch(new RegExp(`#${good.runId} · legacy · run now\\n✅ success · `));

    // Not a good backup: the verified run before it was not pruned (keep_last 1), and the dead-man check still counts from it.
    expect(h.app.runs.get(good.runId)!.expiredAt).toBeNull();
    expect(lastSuccessFromRuns(h.app.runs)(legacy.id)).toEqual(h.app.runs.get(good.runId)!.startedAt);

    // The CLI: exit status 2 and a field that says so.
    const cli = await h.ws.cli(["backup", "legacy", "--json"], { TELEGRAM_SELF_HOSTED: "false" });
    expect(cli.code, cli.stderr).toBe(2);
    const json = JSON.parse(cli.stdout) as { status: string; verified: boolean; outcome: string };
    expect(json).toMatchObject({ status: "success", verified: false, outcome: "unverified" });
    const text = await h.ws.cli(["backup", "legacy"], { TELEGRAM_SELF_HOSTED: "false" });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^run \d+: ⚠️ stored, NOT verified — not every part could be read back/);
  });
});
