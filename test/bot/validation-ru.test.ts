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

  /** Adds the cloud channel to the job from its card: the 30 MiB parts could not come back from it. */
  const addChannel = async (editLabel: RegExp): Promise<string | undefined> => {
    const list = await h.say("/jobs");
    await h.press(list, "big-parts");
    await h.press(list, editLabel);
    await h.press(list, "channel");
    expect(h.app.jobs.get("big-parts").destinations).toEqual(["disk"]);
    return h.fake.callbackAnswers.at(-1)?.text;
  };

  it("Russian", async () => {
    h.app.settings.set(`lang.${ADMIN_ID}`, "ru");
    try {
      const alert = await addChannel(/Куда отправлять/);
      expect(alert).toContain(
        "part_size: 30 MiB — больше 20 МБ, которые бот может скачать через облачный Bot API (получатель «channel»); укажите 19MiB или используйте свой сервер Bot API",
      );
      expect(alert).not.toMatch(/ is above | use 19MiB/);
    } finally {
      h.app.settings.set(`lang.${ADMIN_ID}`, "en");
    }
  });

  it("English", async () => {
    const alert = await addChannel(/Edit destinations/);
    expect(alert).toContain('part_size: 30 MiB is above the 20 MB a bot can download from the cloud Bot API (destination "channel"); use 19MiB');
  });
});
