import type { FakeTelegram } from "../fake-telegram/server.js";

/**
 * For tests that wait for "the bot's next message": a dialog replaces an answered prompt's text
 * with the next question (editMessageText) instead of sending a new message, so a message edited
 * after a point counts as new as well. Points are request sequence numbers of the fake Bot API.
 */

/** The newest request so far (sent or edited messages, polls). */
export function requestSeq(fake: FakeTelegram): number {
  return Math.max(0, ...["sendMessage", "editMessageText", "getUpdates"].flatMap((m) => fake.requestsFor(m).map((r) => r.seq)));
}

/** Ids of the messages whose text the bot replaced after request `seq`. */
export function editedSince(fake: FakeTelegram, seq: number): Set<number> {
  return new Set(fake.requestsFor("editMessageText").filter((r) => r.seq > seq).map((r) => Number(r.params.message_id)));
}
