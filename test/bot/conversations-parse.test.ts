import type { Message } from "grammy/types";
import { describe, expect, it } from "vitest";
import { freeName, readChat, readPort, readRecipients, readRetention, readThreadId, slugName } from "../../src/bot/conversations/parse.js";
import { formatRunTime } from "../../src/bot/format.js";

/** How the dialogs read typed answers (the decisions are the shared validators'). */
describe("dialog answer readers", () => {
  const text = (t: string) => ({ message_id: 1, date: 0, chat: { id: 1, type: "private", first_name: "A" }, text: t }) as Message;

  it("ports", () => {
    expect(readPort(" 5432 ")).toEqual({ ok: 5432 });
    for (const bad of ["0", "65536", "abc", "54.3", ""]) expect(readPort(bad)).toEqual({ error: "conv-err-port" });
  });

  it("topic ids", () => {
    expect(readThreadId("12")).toEqual({ ok: 12 });
    for (const bad of ["0", "-3", "x"]) expect(readThreadId(bad)).toEqual({ error: "conv-err-thread" });
  });

  it("chats: ids, @usernames, t.me links and forwarded posts; not a person's message", () => {
    expect(readChat(text("-1001234567890"))).toEqual({ ok: { chatId: "-1001234567890" } });
    expect(readChat(text("@my_backups"))).toEqual({ ok: { chatId: "@my_backups" } });
    expect(readChat(text("https://t.me/my_backups"))).toEqual({ ok: { chatId: "@my_backups" } });
    expect(readChat(text("my backups"))).toEqual({ error: "conv-err-chat" });
    const forwarded = { ...text("post"), forward_origin: { type: "channel", date: 0, message_id: 3, chat: { id: -100777, type: "channel", title: "Backups" } } } as Message;
    expect(readChat(forwarded)).toEqual({ ok: { chatId: "-100777", title: "Backups" } });
    const fromUser = { ...text("hi"), forward_origin: { type: "user", date: 0, sender_user: { id: 5, is_bot: false, first_name: "B" } } } as Message;
    expect(readChat(fromUser)).toEqual({ error: "conv-err-forward-user" });
  });

  it("age recipients: several at once, secret keys refused without echo", () => {
    const key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    expect(readRecipients(`${key}\n${key}`)).toEqual({ ok: [key] });
    expect(readRecipients("age1nope")).toEqual({ error: "conv-err-recipient", params: { value: "age1nope" } });
    expect(readRecipients("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ")).toEqual({ error: "conv-err-recipient-secret" });
  });

  it("retention rules", () => {
    expect(readRetention("keep_last=14, keep_daily: 7\nmax_age_days = 90")).toEqual({ ok: { keep_last: 14, keep_daily: 7, max_age_days: 90 } });
    expect(readRetention("all")).toEqual({ ok: {} });
    for (const bad of ["keep_last=ten", "keep_forever=1", "14"]) expect(readRetention(bad)).toEqual({ error: "conv-err-retention" });
  });

  it("name suggestions", () => {
    expect(slugName("My App DB")).toBe("my-app-db");
    expect(slugName("__x__")).toBe("x");
    expect(slugName("ÄÖ")).toBe("ao");
    expect(slugName("!!!")).toBeUndefined();
    expect(freeName("db", new Set(["db", "db-2"]))).toBe("db-3");
  });

  it("run times in the job's time zone", () => {
    const t = new Date("2026-12-06T02:00:00Z");
    expect(formatRunTime(t, "en", "Europe/Berlin")).toBe("Sun 2026-12-06 03:00");
    expect(formatRunTime(t, "en", "UTC")).toBe("Sun 2026-12-06 02:00");
  });
});
