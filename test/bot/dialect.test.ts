import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

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
  const maxId = (): number => Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(
      () => botMessages().find((m) => m.message_id > after && re.test(m.text ?? "")),
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

  /** Opens the job card's Edit schedule and returns the (edited) card message. */
  const cardScheduleStep = async (): Promise<StoredMessage> => {
    const list = await h.say("/jobs");
    await h.press(list, "configs-nightly");
    await h.press(list, "Edit schedule");
    const step = h.current(list.message_id);
    expect(step.text).toContain('New schedule for "configs-nightly"');
    return step;
  };

  it("/newjob's schedule step and the job card's schedule change offer the same presets", async () => {
    const dialog = await newJobScheduleStep();
    const dialogRows = rowsOf(dialog);
    expect(dialogRows.at(-1)).toEqual(["Custom cron…"]);
    expect(await send("/cancel", /Cancelled\. Nothing was saved/)).toBeDefined();

    const card = await cardScheduleStep();
    const cardRows = rowsOf(card);
    expect(cardRows.at(-1)).toHaveLength(1); // Back to the card

    // Everything above each step's own last row is the preset list, in the same layout.
    const presets = dialogRows.slice(0, -1);
    expect(cardRows.slice(0, -1)).toEqual(presets);
    expect(presets.flat()).toEqual(["Every hour", "Every 6 hours", "Daily at 03:00", "Sundays at 03:00", "Monthly, 1st at 03:00"]);
  });

  it("the same preset means the same schedule in both places (the fifth one included)", async () => {
    const card = await cardScheduleStep();
    const saved = await click(card, "Monthly", /now runs on/);
    expect(saved.text).toContain('"configs-nightly" now runs on 0 3 1 * * (UTC)');
    // The preview lines are the schedule step's: weekday, ISO date, time.
    expect(saved.text!.split("\n").filter((l) => /^• \S+ \d{4}-\d\d-01 03:00$/.test(l))).toHaveLength(3);
    expect(h.app.jobs.get("configs-nightly").schedule).toBe("0 3 1 * *");

    const dialog = await newJobScheduleStep();
    const preview = await click(dialog, "Monthly", /The next runs:/);
    expect(preview.text).toContain("Schedule 0 3 1 * * in UTC.");
    expect(preview.text!.split("\n").filter((l) => /^• \S+ \d{4}-\d\d-01 03:00$/.test(l))).toHaveLength(3);
    await send("/cancel", /Cancelled\. Nothing was saved/);
  });

  it("/help lists exactly the command menu registered with setMyCommands, in each language", async () => {
    const helpLines = (m: StoredMessage) =>
      (m.text ?? "")
        .split("\n")
        .map((l) => /^\/(\w+) — (.+)$/.exec(l))
        .filter((x): x is RegExpExecArray => x !== null)
        .map((x) => ({ command: x[1], description: x[2] }));
    const registered = (languageCode?: string) =>
      h.fake.commands(languageCode ? { languageCode } : {}).map((c) => ({ command: c.command, description: c.description }));

    const en = helpLines(await h.say("/help"));
    expect(en.length).toBeGreaterThan(10);
    expect(en).toEqual(registered());
    expect(en).toEqual(registered("en"));

    await h.say("/lang ru");
    const ru = helpLines(await h.say("/help"));
    expect(ru).toEqual(registered("ru"));
    expect(ru).not.toEqual(en);
    await h.say("/lang en");
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
