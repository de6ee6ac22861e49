import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import type { StoredMessage } from "../fake-telegram/state.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;

/**
 * ⏹ Stop, with the real `tele-backup run` process and the fake Bot API: a multi-part backup to
 * a channel is stopped while its second part uploads. The run ends `cancelled` (recorded, shown
 * in /logs), the part already in the channel is removed, and the run queued behind it — whose
 * message said so — starts and succeeds.
 */
describe("⏹ Stop during a multi-part upload", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let proc: ChildProcess;
  let channel: number;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Ada", languageCode: "en" });
    channel = fake.createChannel({ title: "Backups" }).id;
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" });
    const big = path.join(ws.dir, "big");
    const small = path.join(ws.dir, "small");
    mkdirSync(big);
    mkdirSync(small);
    // Random bytes do not compress: 3.5 MiB make four 1 MiB parts.
    writeFileSync(path.join(big, "blob.bin"), randomBytes(3.5 * 1024 * 1024));
    writeFileSync(path.join(small, "note.txt"), "small\n");
    const yaml = `
sources:
  - { name: big-dir, kind: directory, path: ${big} }
  - { name: small-dir, kind: directory, path: ${small} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${channel}" }
jobs:
  - { name: big, source: big-dir, destinations: [channel], schedule: "0 3 * * *", compression: none, part_size: 1MiB }
  - { name: small, source: small-dir, destinations: [channel], schedule: "0 4 * * *" }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("c.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    proc = spawn(process.execPath, ["--import", "tsx", MAIN, "run"], { cwd: ROOT, env: ws.env, stdio: ["ignore", "inherit", "inherit"] });
    await fake.waitFor(() => fake.isPolling(), 30_000, "the bot to start polling");
  }, 60_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    await fake?.close();
    ws?.remove();
  });

  const botMessages = () => fake.messages(ADMIN).filter((m) => m.sent_by_bot !== undefined);
  const maxId = () => Math.max(0, ...fake.messages(ADMIN, { includeDeleted: true }).map((m) => m.message_id));
  const waitBot = (pred: (m: StoredMessage) => boolean, what: string, ms = 30_000): Promise<StoredMessage> =>
    fake.waitFor(() => botMessages().find(pred), ms, `${what} (last: ${JSON.stringify(botMessages().slice(-2).map((m) => m.text))})`);
  const send = async (text: string, re: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    fake.sendUserMessage(ADMIN, text);
    return waitBot((m) => m.message_id > after && re.test(m.text ?? ""), `a reply to ${text} matching ${re}`);
  };
  const documents = () => fake.messages(channel).filter((m) => m.document !== undefined);

  it("stops the run: cancelled and recorded, its stored part removed, the queued run goes ahead", async () => {
    // Part 1 is stored; part 2's upload hangs until the run is stopped.
    fake.failNext("sendDocument", { kind: "pass" });
    fake.failNext("sendDocument", { kind: "stall", ms: 120_000 });
    const big = await send("/runnow big", /^⏳ Backup of big/);
    const stopButton = big.reply_markup?.inline_keyboard?.flat().find((b) => b.text === "⏹ Stop");
    expect(stopButton).toBeDefined();

    const small = await send("/runnow small", /^⏳ Backup of small/);
    expect(small.text).toBe("⏳ Backup of small: queued behind big; it starts when they finish.");

    await fake.waitFor(() => documents().length === 1, 60_000, "part 1 in the channel");
    const progressOf = () => botMessages().find((m) => m.message_id === big.message_id)!;
    await fake.waitFor(() => progressOf().text?.includes("uploading part 2"), 60_000, "the progress of part 2").catch((err: Error) => {
      throw new Error(`${err.message}; the message says: ${progressOf().text}`);
    });
    const during = progressOf();
    // No earlier run to estimate the count from: no "of ~n" yet; only what was really sent.
    expect(during.text).toMatch(/^⏳ Backup of big: uploading part 2 · 1\.0 MiB sent \(\d+\.\d MiB read\)$/);
    // The Stop button stays under the message while it is edited.
    expect(during.reply_markup?.inline_keyboard?.flat().map((b) => b.text)).toEqual(["⏹ Stop"]);

    // The job card offers ⏹ Stop while the run goes on.
    const list = await send("/jobs", /Jobs \(2\)/);
    const open = list.reply_markup!.inline_keyboard!.flat().find((b) => b.text.includes("big")) as { callback_data: string };
    fake.pressButton(ADMIN, list.message_id, open.callback_data);
    const card = await waitBot((m) => m.message_id === list.message_id && (m.text ?? "").includes("big") && !(m.text ?? "").startsWith("🗂 Jobs"), "big's card");
    expect(card.reply_markup?.inline_keyboard?.flat().map((b) => b.text)).toContain("⏹ Stop");

    fake.pressButton(ADMIN, big.message_id, (stopButton as { callback_data: string }).callback_data);
    const cancelled = await waitBot((m) => m.message_id === big.message_id && (m.text ?? "").startsWith("⏹ Backup cancelled"), "the cancelled result", 60_000);
    expect(cancelled.text).toMatch(/^⏹ Backup cancelled: big \(run #\d+, after .+\)\nThe parts it had stored were removed\.$/);
    // The part already posted is gone from the channel.
    await fake.waitFor(() => documents().length === 0 || documents().every((d) => !d.document!.file_name?.startsWith("big_")), 30_000, "big's part removed from the channel");
    expect(fake.messages(channel).filter((m) => m.document?.file_name?.startsWith("big_"))).toEqual([]);

    // The queue moves on: small runs and succeeds.
    const smallDone = await waitBot((m) => m.message_id === small.message_id && (m.text ?? "").startsWith("✅ Backup done: small"), "small's result", 60_000);
    expect(smallDone.text).toContain("✅ Backup done: small");
    expect(fake.messages(channel).some((m) => m.document?.file_name?.startsWith("small_"))).toBe(true);

    // Recorded: /logs shows the run as cancelled, and by whom.
    const logs = await send("/logs big", /Runs of big/);
    expect(logs.text).toMatch(/⏹ cancelled/);
    expect(logs.text).toContain("cancelled: stopped by Ada, id 111");
  }, 180_000);

  it("⏹ Stop on a queued run's message drops it before it starts; nothing of it is recorded", async () => {
    const inspect = await ws.app();
    const runsOfSmall = () => inspect.runs.list(100).filter((r) => r.jobName === "small").length;
    const smallRunsBefore = runsOfSmall();
    fake.failNext("sendDocument", { kind: "stall", ms: 120_000 });
    const big = await send("/runnow big", /^⏳ Backup of big/);
    const small = await send("/runnow small", /^⏳ Backup of small: queued behind big/);
    const stopOf = (m: StoredMessage) => (m.reply_markup!.inline_keyboard!.flat().find((b) => b.text === "⏹ Stop") as { callback_data: string }).callback_data;
    fake.pressButton(ADMIN, small.message_id, stopOf(small));
    await waitBot((m) => m.message_id === small.message_id && m.text === "⏹ Backup of small was removed from the queue before it started.", "small dropped");
    fake.pressButton(ADMIN, big.message_id, stopOf(big));
    await waitBot((m) => m.message_id === big.message_id && (m.text ?? "").startsWith("⏹ Backup cancelled: big"), "big cancelled", 60_000);
    // Had small not been dropped, it would start now that big is over.
    await new Promise((r) => setTimeout(r, 1000));
    expect(runsOfSmall()).toBe(smallRunsBefore);
    inspect.close();
  }, 120_000);
});
