import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ID, startHarness, type Harness } from "./harness.js";

const CHANNEL = -1001234567890;

/**
 * A change the services refuse reaches the admin in the admin's language: the issue carries its
 * key and parameters (locales/<lang>/validation.ftl) and the bot translates it; only the path
 * (the YAML key) stays as it is. English remains for the log and the CLI.
 */
describe("a refused change, in the admin's language", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ selfHosted: false });
    h.fake.createChannel({ id: CHANNEL, title: "Backups" });
    h.app.sources.create({ name: "configs", kind: "directory", path: h.backupsDir });
    h.app.destinations.create({ name: "channel", kind: "telegram", chat_id: String(CHANNEL) });
    h.app.destinations.create({ name: "disk", kind: "local", path: `${h.backupsDir}-out` });
    h.app.jobs.create({ name: "big-parts", source: "configs", destinations: ["disk"], schedule: "0 3 * * *", part_size: "30MiB" });
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * Adds the cloud channel to the job from its card (the edit dialog's destinations step): the
   * 30 MiB parts could not come back from it, so the save is refused; returns the refusal.
   */
  const addChannel = async (editLabel: RegExp, done: string): Promise<string | undefined> => {
    const list = await h.say("/jobs");
    await h.press(list, "big-parts");
    await h.press(list, editLabel);
    const picker = h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined && (m.reply_markup?.inline_keyboard?.length ?? 0) > 0).at(-1)!;
    await h.press(picker, "channel");
    const from = h.fake.requests.at(-1)?.seq ?? 0;
    await h.press(picker, done);
    const refusal = h.fake.requests.find((r) => r.seq > from && /sendmessage|editmessagetext/i.test(r.method) && String(r.params.text).includes("part_size"));
    expect(h.app.jobs.get("big-parts").destinations).toEqual(["disk"]);
    await h.say("/cancel");
    return refusal ? String(refusal.params.text) : undefined;
  };

  it("Russian", async () => {
    h.app.settings.set(`lang.${ADMIN_ID}`, "ru");
    try {
      const alert = await addChannel(/Куда отправлять/, "Готово");
      expect(alert).toContain(
        "part_size: 30 MiB — больше 20 МБ, которые бот может скачать через облачный Bot API (место хранения «channel»); укажите 19MiB или используйте свой сервер Bot API",
      );
      expect(alert).not.toMatch(/ is above | use 19MiB/);
    } finally {
      h.app.settings.set(`lang.${ADMIN_ID}`, "en");
    }
  });

  it("English", async () => {
    const alert = await addChannel(/Edit destinations/, "Done");
    expect(alert).toContain('part_size: 30 MiB is above the 20 MB a bot can download from the cloud Bot API (destination "channel"); use 19MiB');
  });
});
