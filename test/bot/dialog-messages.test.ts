import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

/**
 * How heavy the dialogs are, counted where Telegram counts it: the sendMessage requests reaching
 * the fake Bot API from the real bot. A prompt answered with a button is replaced by the next
 * one (editMessageText); a refused typed answer gets one message with the reason and the question;
 * read-only commands are answered without ending the dialog.
 */
describe("dialog messages", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    h.app.sources.create({ name: "app-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: "app", user: "postgres" });
    h.app.destinations.create({ name: "backups", kind: "local", path: h.backupsDir });
  });
  afterAll(async () => {
    await h?.close();
  });

  const seq = (): number => Math.max(0, ...h.fake.requestsFor("getMe").map((r) => r.seq), ...h.fake.requestsFor("sendMessage").map((r) => r.seq), ...h.fake.requestsFor("editMessageText").map((r) => r.seq));
  const sentSince = (from: number): string[] =>
    h.fake
      .requestsFor("sendMessage")
      .filter((r) => r.seq > from && String(r.params.chat_id) === String(ADMIN_ID))
      .map((r) => String(r.params.text));
  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  /** The dialog's current prompt: the newest bot message that still has buttons. */
  const prompt = (): StoredMessage => {
    const withButtons = botMessages().filter((m) => buttonsOf(m).length > 0);
    const m = withButtons[withButtons.length - 1];
    if (!m) throw new Error(`no prompt; last bot messages: ${JSON.stringify(botMessages().slice(-3).map((x) => x.text))}`);
    return m;
  };
  const send = async (text: string): Promise<void> => {
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    await h.fake.updateConfirmed(update);
    await h.idle();
  };

  /**
   * The button a user in a hurry presses at each step: the suggested or default value. Steps
   * not listed take their first button. Keyed by what the question asks, so the walk does not
   * depend on the dialog's exact order.
   */
  const ANSWERS: Array<[RegExp, RegExp]> = [
    [/Which source/, /app-db/],
    [/Where should the backups go/, /backups|Done/],
    [/Encrypt/, /No encryption/],
    [/kept/, /recommended/],
    [/Review|summary/i, /Create/],
  ];
  const pressDefault = async (): Promise<void> => {
    const p = prompt();
    const question = p.text ?? "";
    const labels = buttonsOf(p);
    const wanted = ANSWERS.find(([q]) => q.test(question))?.[1];
    // In a multi-select, the item is ticked first, then Done.
    let label = (wanted && labels.find((l) => wanted.test(l) && !l.startsWith("✅"))) ?? labels.find((l) => /^Use |\(default\)|Looks right|Done/.test(l)) ?? labels[0]!;
    if (labels.some((l) => l.startsWith("✅")) && labels.includes("Done")) label = "Done";
    await h.press(p, label);
  };
  /** Presses the default button of every prompt until `done` shows up; returns the presses made. */
  const walk = async (done: RegExp, max = 40): Promise<number> => {
    for (let presses = 0; presses < max; presses++) {
      if (botMessages().some((m) => done.test(m.text ?? ""))) return presses;
      await pressDefault();
    }
    throw new Error(`${done} never came; last bot messages: ${JSON.stringify(botMessages().slice(-3).map((x) => x.text))}`);
  };

  it("a clean /newjob needs at most 8 new bot messages: the answered prompt is replaced by the next", async () => {
    const from = seq();
    await send("/newjob");
    const presses = await walk(/Job "app-db-backup" created/);
    expect(h.app.jobs.getByName("app-db-backup")).not.toBeNull();
    const sent = sentSince(from);
    expect(presses).toBeGreaterThan(8); // more steps than messages: the steps shared messages
    expect(sent.length, sent.join("\n---\n")).toBeLessThanOrEqual(8);
    // Each answer shows under its question before the next question replaces it.
    const edits = h.fake.requestsFor("editMessageText").filter((r) => r.seq > from).map((r) => String(r.params.text));
    expect(edits).toContain("Which source should this job back up?\n\n→ app-db · PostgreSQL");
    expect(edits).toContain("Where should the backups go? Tap to select one or more, then press Done.");
  });

  it("a refused typed answer is one message: the reason above the question and its buttons", async () => {
    await send("/newjob");
    await pressDefault(); // source
    await pressDefault(); // tick backups
    await pressDefault(); // Done
    const latest = () => botMessages()[botMessages().length - 1]!;
    expect(latest().text).toMatch(/Name for the job/);
    const from = seq();
    await send("Not A Name!");
    const sent = sentSince(from);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/⚠️[\s\S]*Not A Name![\s\S]*\n\nName for the job/);
    await send("second-job");
    expect(latest().text).toMatch(/Time zone/);
    await send("/cancel");
  });

  it("a preset at another hour is typed in one answer: \"daily 04:30\"", async () => {
    await send("/newjob");
    const latest = () => botMessages()[botMessages().length - 1]!;
    for (let i = 0; i < 10 && !/When should it run/.test(latest().text ?? ""); i++) {
      if (/Name for the job/.test(latest().text ?? "")) await send("daily-job");
      else await pressDefault();
    }
    expect(latest().text).toMatch(/daily 04:30/);
    const from = seq();
    await send("daily 04:30");
    const preview = h.fake.messages(ADMIN_ID).find((m) => m.message_id > 0 && /Schedule 30 4 \* \* \*/.test(m.text ?? ""));
    expect(preview?.text?.split("\n").filter((l) => /^• .* 04:30$/.test(l))).toHaveLength(3);
    expect(sentSince(from)).toHaveLength(1);
    await send("/cancel");
  });

  it("/status, /help and /logs answer during a dialog, which then goes on; another command ends it", async () => {
    await send("/newjob");
    await pressDefault(); // source
    const destinations = prompt();
    expect(destinations.text).toMatch(/Where should the backups go/);
    const from = seq();
    await send("/status");
    await send("/help");
    await send("/logs");
    const answers = sentSince(from);
    expect(answers).toHaveLength(3);
    expect(answers[0]).toMatch(/📊|No jobs yet/);
    expect(answers.join("\n")).not.toMatch(/You left/);
    // the dialog still waits at the same step and goes on from its buttons
    await h.press(destinations, "backups");
    await h.press(destinations, "Done");
    await h.idle();
    expect(h.current(destinations.message_id).text).toMatch(/Name for the job/);
    const before = seq();
    await send("/jobs");
    expect(sentSince(before).join("\n")).toMatch(/You left the new job dialog/);
  });
});
