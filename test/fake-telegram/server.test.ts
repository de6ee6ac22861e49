import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Api, Bot, GrammyError, HttpError, InlineKeyboard, InputFile } from "grammy";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MB, startFakeTelegram, type FakeTelegram } from "./server.js";

let fake: FakeTelegram;
let api: Api;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "fake-telegram-test-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  fake = await startFakeTelegram({ uploadLimit: 2 * MB, downloadLimit: 1 * MB });
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});
afterEach(async () => {
  await fake.close();
});

async function fileOf(size: number, name = "part.001"): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const file = path.join(work, `${size}-${name}`);
  await writeFile(file, bytes);
  return { path: file, bytes };
}

/** The rejection of a grammY call, for asserting on error_code/description. */
async function failure(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

async function uploadsLeft(): Promise<string[]> {
  return readdir(path.join(fake.dir, "uploads"));
}

describe("fake Telegram over HTTP with the real grammY client", () => {
  it("round-trips a document: multipart upload, getFile, download byte-exact", async () => {
    const channel = fake.createChannel({ title: "Backups" });
    const part = await fileOf(900 * 1024 + 3, "app_20240101-030000.sql.gz.001");
    const sent = await api.sendDocument(channel.id, new InputFile(part.path), {
      caption: "<b>app</b> part 1/1",
      parse_mode: "HTML",
      disable_notification: true,
    });

    expect(sent.document).toMatchObject({ file_name: path.basename(part.path), file_size: part.bytes.length });
    expect(sent.caption).toBe("app part 1/1");
    const file = await api.getFile(sent.document!.file_id);
    const response = await fetch(`${fake.apiRoot}/file/bot${fake.token}/${file.file_path}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(part.bytes)).toBe(true);
    expect((await fake.downloadFile(sent.document!.file_id)).equals(part.bytes)).toBe(true);

    const [stored] = fake.documents(channel.id);
    expect(stored).toMatchObject({ message_id: sent.message_id, disable_notification: true, source_text: "<b>app</b> part 1/1" });
    expect(await uploadsLeft()).toEqual([]);
  });

  it("reuses a stored file by file_id without a new upload", async () => {
    const channel = fake.createChannel();
    const part = await fileOf(1000);
    const first = await api.sendDocument(channel.id, new InputFile(part.path));
    const again = await api.sendDocument(channel.id, first.document!.file_id);
    expect(again.document?.file_unique_id).toBe(first.document?.file_unique_id);
    expect(fake.requestsFor("sendDocument")[1]?.files).toEqual([]);
  });

  it("answers 429 with retry_after, then succeeds; the message is stored once", async () => {
    const channel = fake.createChannel();
    fake.failNext("sendMessage", { kind: "429", retryAfter: 7 });
    const post = () =>
      fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chat_id: channel.id, text: "backup done" }),
      });

    const limited = await post();
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      ok: false, error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 },
    });
    const ok = await post();
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, result: { text: "backup done", chat: { id: channel.id } } });
    expect(fake.messages(channel.id).map((m) => m.text)).toEqual(["backup done"]);
  });

  it("injects 500s and custom errors, queued per method", async () => {
    const channel = fake.createChannel();
    fake.failNext("sendMessage", { kind: "500" });
    fake.failNext("sendMessage", { kind: "error", code: 502, description: "Bad Gateway" });
    expect((await failure(api.sendMessage(channel.id, "a"))).error_code).toBe(500);
    expect((await failure(api.sendMessage(channel.id, "a"))).description).toBe("Bad Gateway");
    await api.sendMessage(channel.id, "a");
    expect(fake.messages(channel.id)).toHaveLength(1);
    expect(fake.pendingFaults()).toBe(0);
  });

  it("drops the connection mid-upload; nothing is stored and a retry lands exactly once", async () => {
    const channel = fake.createChannel();
    const part = await fileOf(1536 * 1024);
    fake.failNext("sendDocument", { kind: "drop" });

    const error = await api.sendDocument(channel.id, new InputFile(part.path)).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const [dropped] = fake.requestsFor("sendDocument");
    expect(dropped?.outcome).toBe("dropped");
    expect(fake.documents(channel.id)).toEqual([]);

    const sent = await api.sendDocument(channel.id, new InputFile(part.path));
    expect(fake.documents(channel.id).map((m) => m.message_id)).toEqual([sent.message_id]);
    expect((await fake.downloadFile(sent.document!.file_id)).equals(part.bytes)).toBe(true);
    expect(await uploadsLeft()).toEqual([]);
  });

  it("drop-response stores the message but the client sees a failure", async () => {
    const channel = fake.createChannel();
    fake.failNext("sendMessage", { kind: "drop-response" });
    await expect(api.sendMessage(channel.id, "lost reply")).rejects.toBeInstanceOf(HttpError);
    expect(fake.messages(channel.id).map((m) => m.text)).toEqual(["lost reply"]);
  });

  it("stalls a reply, then runs the call", async () => {
    const channel = fake.createChannel();
    fake.failNext("sendMessage", { kind: "stall", ms: 50 });
    await api.sendMessage(channel.id, "late");
    expect(fake.messages(channel.id)).toHaveLength(1);
  });

  it("cuts a download half-way when asked", async () => {
    const channel = fake.createChannel();
    const part = await fileOf(200_000);
    const sent = await api.sendDocument(channel.id, new InputFile(part.path));
    const file = await api.getFile(sent.document!.file_id);
    fake.failNext("download", { kind: "drop" });
    const url = `${fake.apiRoot}/file/bot${fake.token}/${file.file_path}`;
    await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(part.bytes)).toBe(true);
  });

  it("enforces the cloud limits: 413 upload, file is too big, caption and text length", async () => {
    const channel = fake.createChannel();
    const tooBig = await fileOf(2 * MB + 1);
    const big = await api.sendDocument(channel.id, new InputFile(tooBig.path)).then(() => undefined, (e: unknown) => e);
    expect(big).toMatchObject({ error_code: 413, description: "Request Entity Too Large" });
    expect(fake.documents(channel.id)).toEqual([]);
    expect(await uploadsLeft()).toEqual([]);

    const undownloadable = await fileOf(1 * MB + 1);
    const sent = await api.sendDocument(channel.id, new InputFile(undownloadable.path));
    expect(await failure(api.getFile(sent.document!.file_id))).toMatchObject({ error_code: 400, description: "Bad Request: file is too big" });

    const small = await fileOf(10);
    expect(await failure(api.sendDocument(channel.id, new InputFile(small.path), { caption: "x".repeat(1025) })))
      .toMatchObject({ error_code: 400, description: "Bad Request: message caption is too long" });
    await api.sendDocument(channel.id, new InputFile(small.path), { caption: "x".repeat(1024) });
    expect((await failure(api.sendMessage(channel.id, "y".repeat(4097)))).description).toBe("Bad Request: message is too long");
    expect((await failure(api.sendMessage(channel.id, ""))).description).toBe("Bad Request: message text is empty");
    expect((await failure(api.sendMessage(channel.id, "<b>unclosed", { parse_mode: "HTML" }))).description)
      .toBe('Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"');
    // Markup does not count towards the limit.
    await api.sendMessage(channel.id, `<b>${"z".repeat(4096)}</b>`, { parse_mode: "HTML" });
  });

  it("refuses chats the bot cannot post to with Telegram's errors", async () => {
    expect(await failure(api.sendMessage(-1009999999999, "hi"))).toMatchObject({ error_code: 400, description: "Bad Request: chat not found" });

    const hidden = fake.createChannel({ botStatus: "absent" });
    expect((await failure(api.sendMessage(hidden.id, "hi"))).description).toBe("Bad Request: chat not found");

    const left = fake.createChannel({ botStatus: "left" });
    expect(await failure(api.sendMessage(left.id, "hi")))
      .toMatchObject({ error_code: 403, description: "Forbidden: bot is not a member of the channel chat" });

    const readOnly = fake.createChannel({ botRights: { can_delete_messages: true } });
    expect((await failure(api.sendMessage(readOnly.id, "hi"))).description).toBe("Bad Request: need administrator rights in the channel chat");
    expect(await api.getChatMember(readOnly.id, fake.botUser().id)).toMatchObject({
      status: "administrator", can_post_messages: false, can_delete_messages: true,
    });

    const group = fake.createGroup({ botStatus: "restricted" });
    fake.setBotMembership(group.id, { status: "restricted", permissions: { can_send_messages: true } });
    const doc = await fileOf(10);
    await api.sendMessage(group.id, "text is fine");
    expect((await failure(api.sendDocument(group.id, new InputFile(doc.path)))).description)
      .toBe("Bad Request: not enough rights to send documents to the chat");

    const other = fake.addBot();
    fake.revokeToken(other);
    expect(await failure(new Api(other, { apiRoot: fake.apiRoot }).getMe())).toMatchObject({ error_code: 401, description: "Unauthorized" });
    const unknown = await fetch(`${fake.apiRoot}/bot${fake.token}/noSuchMethod`);
    expect([unknown.status, await unknown.json()]).toEqual([404, { ok: false, error_code: 404, description: "Not Found" }]);
  });

  it("delivers injected messages and button presses to a long-polling bot and sees its replies", async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    bot.command("start", (ctx) =>
      ctx.reply(`Hello ${ctx.from?.first_name}`, { reply_markup: new InlineKeyboard().text("Run now", "run:7") }));
    bot.callbackQuery(/^run:(\d+)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: "started" });
      await ctx.editMessageText(`Job ${ctx.match[1]} started`);
    });
    const polling = bot.start();
    try {
      const admin = fake.createUser({ firstName: "Ada" });
      const update = fake.sendUserMessage(admin.id, "/start");
      const reply = await fake.waitForBotMessage(admin.id, { after: update.message!.message_id });
      expect(reply.text).toBe("Hello Ada");
      expect(reply.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data).toBe("run:7");

      const press = fake.pressButton(admin.id, reply.message_id, "run:7");
      await fake.updateConfirmed(press);
      expect(fake.callbackAnswers).toEqual([{ callback_query_id: press.callback_query!.id, text: "started", show_alert: false }]);
      expect(fake.message(admin.id, reply.message_id)).toMatchObject({ text: "Job 7 started" });
      expect(fake.message(admin.id, reply.message_id)?.reply_markup).toBeUndefined();
    } finally {
      await bot.stop();
      await polling;
    }
  });

  it("answers a parked getUpdates when an update arrives, and 409 for a parallel poller", async () => {
    const user = fake.createUser();
    const call = (params: Record<string, unknown>) =>
      fetch(`${fake.apiRoot}/bot${fake.token}/getUpdates`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(params),
      }).then((r) => r.json() as Promise<{ ok: boolean; result?: Array<{ update_id: number }>; error_code?: number }>);

    const first = call({ timeout: 30 });
    await fake.waitFor(() => fake.isPolling());
    const second = call({ timeout: 30 });
    expect(await first).toMatchObject({ ok: false, error_code: 409 });
    const update = fake.sendUserMessage(user.id, "hello");
    expect((await second).result?.map((u) => u.update_id)).toEqual([update.update_id]);
    expect(await call({ offset: update.update_id + 1 })).toEqual({ ok: true, result: [] });
    await fake.updateConfirmed(update);
  });

  it("deleteMessages skips a message older than 48 hours and says which went", async () => {
    const channel = fake.createChannel();
    const [a, b, c] = [await api.sendMessage(channel.id, "a"), await api.sendMessage(channel.id, "b"), await api.sendMessage(channel.id, "c")];
    fake.setMessageDate(channel.id, a.message_id, fake.now() - 49 * 3600);

    expect(await api.deleteMessages(channel.id, [a.message_id, b.message_id, c.message_id, 999])).toBe(true);
    expect(fake.deletedMessageIds(channel.id)).toEqual([b.message_id, c.message_id]);
    expect(fake.requestsFor("deleteMessages")[0]?.effect).toEqual({ deleted: [b.message_id, c.message_id], skipped: [a.message_id, 999] });
    expect(fake.messages(channel.id).map((m) => m.text)).toEqual(["a"]);

    expect(await failure(api.deleteMessage(channel.id, a.message_id)))
      .toMatchObject({ error_code: 400, description: "Bad Request: message can't be deleted" });
    expect((await failure(api.deleteMessage(channel.id, b.message_id))).description).toBe("Bad Request: message to delete not found");

    fake.advanceClock(48 * 3600);
    const d = await api.sendMessage(channel.id, "d");
    await api.deleteMessage(channel.id, d.message_id);
  });

  it("accepts urlencoded and query-string parameters, and logs every text sent", async () => {
    const channel = fake.createChannel({ username: "backups" });
    const form = await fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
      method: "POST",
      body: new URLSearchParams({ chat_id: "@backups", text: "via form", reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "x", callback_data: "secret-ish" }]] }) }),
    });
    expect(await form.json()).toMatchObject({ ok: true, result: { chat: { id: channel.id } } });
    const query = await fetch(`${fake.apiRoot}/bot${fake.token}/getChat?chat_id=${channel.id}`);
    expect(await query.json()).toMatchObject({ ok: true, result: { id: channel.id, type: "channel" } });
    expect(fake.allTextSent()).toEqual(expect.arrayContaining(["via form", "secret-ish", "@backups"]));
  });

  it("pins and reads chat state like the real API", async () => {
    const channel = fake.createChannel({ botRights: { can_post_messages: true } });
    const m = await api.sendMessage(channel.id, "manifest");
    expect((await failure(api.pinChatMessage(channel.id, m.message_id))).description)
      .toBe("Bad Request: not enough rights to manage pinned messages in the chat");
    fake.setBotMembership(channel.id, { status: "administrator", rights: { can_post_messages: true, can_edit_messages: true } });
    await api.pinChatMessage(channel.id, m.message_id, { disable_notification: true });
    expect((await api.getChat(channel.id)).pinned_message?.message_id).toBe(m.message_id);
    expect(fake.message(channel.id, m.message_id)?.pinned).toBe(true);

    await api.setMyCommands([{ command: "jobs", description: "List jobs" }], { language_code: "de" });
    expect(fake.commands({ languageCode: "de" })).toEqual([{ command: "jobs", description: "List jobs" }]);
    expect(await api.getMyCommands()).toEqual([]);
  });

  it("checks forum topics and replies, and copies and forwards documents", async () => {
    const forum = fake.createGroup({ isForum: true, topics: [12] });
    const inTopic = await api.sendMessage(forum.id, "in topic", { message_thread_id: 12 });
    expect(inTopic).toMatchObject({ message_thread_id: 12, is_topic_message: true });
    expect((await failure(api.sendMessage(forum.id, "x", { message_thread_id: 13 }))).description).toBe("Bad Request: message thread not found");
    expect((await failure(api.sendMessage(forum.id, "x", { reply_parameters: { message_id: 999 } }))).description)
      .toBe("Bad Request: message to be replied not found");
    const reply = await api.sendMessage(forum.id, "re", { reply_parameters: { message_id: inTopic.message_id } });
    expect(reply.reply_to_message?.message_id).toBe(inTopic.message_id);

    const channel = fake.createChannel();
    const doc = await fileOf(100);
    const original = await api.sendDocument(channel.id, new InputFile(doc.path), { caption: "manifest" });
    const copy = await api.copyMessage(forum.id, channel.id, original.message_id);
    expect(fake.message(forum.id, copy.message_id)?.document?.file_id).toBe(original.document?.file_id);
    const forwarded = await api.forwardMessage(forum.id, channel.id, original.message_id);
    expect(forwarded.forward_origin).toMatchObject({ type: "channel", message_id: original.message_id });

    const owner = fake.createUser();
    fake.setMembership(channel.id, owner.id, { status: "creator" });
    const admins = await api.getChatAdministrators(channel.id);
    expect(admins.map((a) => [a.status, a.user.id]).sort()).toEqual([["administrator", fake.botUser().id], ["creator", owner.id]].sort());
  });
});

describe("optional flood limit", () => {
  it("answers 429 past N messages per chat and window, until the window passes", async () => {
    const limited = await startFakeTelegram({ floodLimit: { messages: 2, perSeconds: 60 } });
    try {
      const limitedApi = new Api(limited.token, { apiRoot: limited.apiRoot });
      const channel = limited.createChannel();
      await limitedApi.sendMessage(channel.id, "1");
      await limitedApi.sendMessage(channel.id, "2");
      const error = await failure(limitedApi.sendMessage(channel.id, "3"));
      expect(error.error_code).toBe(429);
      expect(error.parameters.retry_after).toBeGreaterThan(0);
      limited.advanceClock(61);
      await limitedApi.sendMessage(channel.id, "3");
      expect(limited.messages(channel.id).map((m) => m.text)).toEqual(["1", "2", "3"]);
    } finally {
      await limited.close();
    }
  });
});
