import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config/env.js";
import { createLogger } from "../../src/logger.js";
import type { StoredMessage } from "../fake-telegram/state.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "../bot/harness.js";
import { startRedis, type PrivateRedis } from "../helpers/redis.js";
import { editedSince, requestSeq } from "../bot/edited.js";

/** /newsource → Redis: by messages and buttons, with a real connection test against a password-protected private redis-server. */
describe("/newsource: Redis", () => {
  let h: Harness;
  let checker: App;
  let redis: PrivateRedis;
  const password = `bot-redis-${Date.now()}`;

  beforeAll(async () => {
    redis = await startRedis({ password });
    h = await startHarness();
    const env = { ...h.ws.env, BOT_TOKEN: h.fake.token };
    checker = await buildApp(loadConfig(env), createLogger("silent"), env);
    h.deps.checkSource = (config) => checker.checkSource(config);
    await h.restart();
  });
  afterAll(async () => {
    await h?.close();
    checker?.close();
    await redis?.stop();
  });

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  /** Request seq when `maxId()` was last taken: a prompt the bot edits after it counts as a new message. */
  let markSeq = 0;
  const maxId = (): number => {
    markSeq = requestSeq(h.fake);
    return Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  };
  const lastPrompt = (): StoredMessage => {
    const withButtons = botMessages().filter((m) => buttonsOf(m).length > 0);
    const m = withButtons[withButtons.length - 1];
    if (!m) throw new Error("no bot message with buttons");
    return m;
  };
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(() => botMessages().find((m) => (m.message_id > after || editedSince(h.fake, markSeq).has(m.message_id)) && re.test(m.text ?? "")), 20_000, `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`);
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

  it("asks host, port (6379 offered), password and name, tests the connection and saves", async () => {
    await send("/newsource", /What do you want to back up/);
    expect(buttonsOf(lastPrompt())).toContain("Redis");
    await click("Redis", /Host name/);
    await send("127.0.0.1", /Port/);
    expect(buttonsOf(lastPrompt())).toContain("Use 6379");
    await send(String(redis.port), /Password of default/);
    await send(password, /Name for this source/);
    const before = maxId();
    await send("cache", new RegExp(`Testing the connection to redis://127\\.0\\.0\\.1:${redis.port}`));
    await waitBot(before, /connection test passed: Redis 7\./);
    await click("💾 Save", /Source "cache" saved/);
    const source = h.app.sources.getByName("cache", { withSecrets: true });
    expect(source).toMatchObject({ kind: "redis", host: "127.0.0.1", port: redis.port, password });
    expect(h.fake.allTextSent().join("\n")).not.toContain(password);
  });
});
