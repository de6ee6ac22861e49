import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";
import { editedSince, requestSeq } from "./edited.js";

/**
 * One bot dialect: the schedule step looks the same wherever a schedule is asked for, /help
 * shows the command menu Telegram was given, and every command the bot knows leaves a dialog.
 */
describe("one bot dialect", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    h.app.sources.create({ name: "configs", kind: "directory", path: h.backupsDir });
    h.app.destinations.create({ name: "disk", kind: "local", path: `${h.backupsDir}-out` });
    h.app.jobs.create({ name: "configs-nightly", source: "configs", destinations: ["disk"], schedule: "0 3 * * *" });
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
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(
      () => botMessages().find((m) => (m.message_id > after || editedSince(h.fake, markSeq).has(m.message_id)) && re.test(m.text ?? "")),
      20_000,
      `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`,
    );
  const send = async (text: string, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    h.fake.sendUserMessage(ADMIN_ID, text);
    return waitBot(after, expect);
  };
  const click = async (on: StoredMessage, label: string, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    await h.press(on, label);
    return waitBot(after, expect);
  };
  /** Button labels row by row, as the user sees the keyboard. */
  const rowsOf = (m: StoredMessage): string[][] => (m.reply_markup?.inline_keyboard ?? []).map((row) => row.map((b) => b.text));

  /** Walks /newjob up to its schedule question and returns that message. */
  const newJobScheduleStep = async (): Promise<StoredMessage> => {
    const source = await send("/newjob", /Which source should this job back up/);
    const picker = await click(source, "configs", /Where should the backups go/);
    await h.press(picker, "disk");
    const name = await click(h.current(picker.message_id), "Done", /Name for the job/);
    const zone = await click(name, "Use configs-backup", /Time zone of the schedule/);
    return click(zone, "UTC (default)", /When should it run/);
  };

  /** The dialog's current prompt: the newest bot message that has buttons. */
  const prompt = (): StoredMessage => botMessages().filter((m) => buttonsOf(m).length > 0).at(-1)!;

  /** Opens the job card's Edit schedule (the edit dialog, straight at the schedule step) and returns that step. */
  const cardScheduleStep = async (): Promise<StoredMessage> => {
    const list = await h.say("/jobs");
    await h.press(list, "configs-nightly");
    await h.press(list, "Edit schedule");
    const step = prompt();
    expect(step.text).toContain("When should it run?");
    return step;
  };

  it("/newjob's schedule step and the job card's schedule change offer the same presets", async () => {
    const dialog = await newJobScheduleStep();
    const dialogRows = rowsOf(dialog);
    expect(dialogRows.at(-1)).toEqual(["Custom cron…"]);
    expect(await send("/cancel", /Cancelled\. Nothing was saved/)).toBeDefined();

    // The card's schedule change is the same step (job-steps.ts): the same presets, in the same layout.
    const card = await cardScheduleStep();
    expect(rowsOf(card)).toEqual(dialogRows);
    expect(dialogRows.slice(0, -1).flat()).toEqual(["Every hour", "Every 6 hours", "Daily…", "Sundays…", "Monthly, on the 1st…"]);
    expect(await send("/cancel", /Cancelled/)).toBeDefined();
  });

  it("the same preset means the same schedule in both places (the fifth one included)", async () => {
    await h.press(await cardScheduleStep(), "Monthly");
    const hours = prompt();
    expect(hours.text).toContain("At what time should it run? Times are in UTC.");
    expect(rowsOf(hours).flat()).toHaveLength(24);
    await h.press(hours, "03:00");
    const confirm = prompt();
    expect(confirm.text).toContain("Schedule 0 3 1 * * in UTC.");
    // The preview lines are the schedule step's: weekday, ISO date, time.
    expect(confirm.text!.split("\n").filter((l) => /^• \S+ \d{4}-\d\d-01 03:00$/.test(l))).toHaveLength(3);
    await h.press(confirm, "Looks right");
    expect(h.app.jobs.get("configs-nightly").schedule).toBe("0 3 1 * *");

    const dialog = await newJobScheduleStep();
    const hourStep = await click(dialog, "Monthly", /At what time/);
    const preview = await click(hourStep, "17:00", /The next runs:/);
    expect(preview.text).toContain("Schedule 0 17 1 * * in UTC.");
    expect(preview.text!.split("\n").filter((l) => /^• \S+ \d{4}-\d\d-01 17:00$/.test(l))).toHaveLength(3);
    await send("/cancel", /Cancelled\. Nothing was saved/);
  });

  it("/help lists exactly the command menu registered with setMyCommands, in each language", async () => {
    const helpLines = (m: StoredMessage) =>
      (m.text ?? "")
        .split("\n")
        .map((l) => /^\/(\w+) — (.+)$/.exec(l))
        .filter((x): x is RegExpExecArray => x !== null)
        .map((x) => ({ command: x[1], description: x[2] }));
    // The menu is the admin's own (BotCommandScopeChat), in their language; strangers get none (issue 13, item 6).
    const registered = () => h.fake.commands({ scope: { type: "chat", chat_id: ADMIN_ID } }).map((c) => ({ command: c.command, description: c.description }));
    expect(h.fake.commands()).toEqual([]);
    expect(h.fake.commands({ languageCode: "en" })).toEqual([]);
    expect(h.fake.commands({ languageCode: "ru" })).toEqual([]);

    const en = helpLines(await h.say("/help"));
    expect(en.length).toBeGreaterThan(10);
    expect(en).toEqual(registered());

    await h.say("/lang ru");
    const ru = helpLines(await h.say("/help"));
    expect(ru).toEqual(registered());
    expect(ru).not.toEqual(en);
    await h.say("/lang en");
    await h.idle();
    expect(registered()).toEqual(en);
  });

  it("every command of the menu leaves a dialog, /adopt included", async () => {
    const source = await send("/newjob", /Which source should this job back up/);
    expect(buttonsOf(source).some((b) => b.startsWith("configs"))).toBe(true);
    await send("/adopt", /You left the/);
    // /adopt then asked for its chat; the one /cancel ends that prompt too.
    await send("/cancel", /✖ Cancelled\./);
    expect((await send("/cancel", /nothing to cancel/)).text).toBe("There was nothing to cancel.");
  });
});
