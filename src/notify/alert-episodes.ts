import type { RunResult } from "../engine/backup-runner.js";
import type { AlertEpisode, EpisodeStore } from "../repos/alerts.repo.js";
import type { Translatable } from "../shared/translatable.js";
import { alertDisableData } from "./port.js";

/** One chat a job's alert goes to, in the language it is read in. */
export interface AlertChat {
  /** `chat/thread`: how the episode remembers the message it sent there. */
  key: string;
  chat: string | number;
  thread?: number;
  locale: string;
  /** An admin's private chat: the alert carries buttons there (never in channel posts). */
  admin: boolean;
}

export interface InlineButton {
  text: string;
  callback_data: string;
}

/** The Bot API calls the episodes need; both log their own failures and never throw. */
export interface AlertWire {
  /** Sends a message; its id, or null when it was not delivered. */
  send(chat: AlertChat, text: string, options: { silent: boolean; buttons?: InlineButton[][]; replyTo?: number }): Promise<number | null>;
  /** Edits a message; false when it cannot be edited any more (deleted, too old). */
  edit(chat: AlertChat, messageId: number, text: string, buttons?: InlineButton[][]): Promise<boolean>;
}

/** What the texts of one alert are made from. */
export interface EpisodeTexts {
  /** The first failure (and a different reason): the full alert. */
  first(chat: AlertChat): string;
  /** A repeat of the same failure: "still failing — 5th time since 16:33 (Europe/Moscow)". */
  repeat(chat: AlertChat, episode: AlertEpisode): string;
  buttons(chat: AlertChat): InlineButton[][] | undefined;
}

export const chatKey = (chat: string | number, thread?: number): string => `${chat}/${thread ?? ""}`;

/**
 * The same failure, told once per chat: a failure with the reason key of the open episode edits
 * the message each chat already has (a new one, silent, only where that message is gone); a new
 * reason starts a new, loud episode. Episodes live in SQLite (`store`), so a restart keeps editing
 * the same messages. `shownIn`: the chat of the admin who pressed Run now, whose progress message
 * already says the result; they get no second message.
 *
 * Without a store, or when it fails (the job or destination was deleted meanwhile: told to
 * `storeFailed`), every chat still gets the full alert, as a first failure.
 */
export async function alertFailure(
  store: EpisodeStore | undefined,
  wire: AlertWire,
  input: { reason: string; now: Date; chats: AlertChat[]; texts: EpisodeTexts; shownIn?: number; storeFailed?: (err: unknown) => void },
): Promise<void> {
  const { chats, texts, shownIn } = input;
  const plain = async () => {
    for (const chat of chats) if (!(chat.admin && chat.chat === shownIn)) await wire.send(chat, texts.first(chat), { silent: false, buttons: texts.buttons(chat) });
  };
  if (!store) return plain();
  try {
    await episodic(store, wire, input);
  } catch (err) {
    input.storeFailed?.(err);
    await plain();
  }
}

async function episodic(store: EpisodeStore, wire: AlertWire, input: { reason: string; now: Date; chats: AlertChat[]; texts: EpisodeTexts; shownIn?: number }): Promise<void> {
  const { reason, now, chats, texts, shownIn } = input;
  const open = store.find();
  const episode = open && open.reasonKey === reason ? { ...open, count: store.repeat() } : store.start(reason, now);
  const repeat = episode.count > 1;
  for (const chat of chats) {
    const shown = chat.admin && chat.chat === shownIn;
    const text = repeat ? texts.repeat(chat, episode) : texts.first(chat);
    const buttons = texts.buttons(chat);
    const existing = episode.messages[chat.key];
    // Editing is silent: the presser's own older alert keeps its count true without a new message.
    if (repeat && existing !== undefined && (await wire.edit(chat, existing, text, buttons))) continue;
    if (shown) continue;
    const id = await wire.send(chat, text, { silent: repeat, buttons });
    if (id !== null) store.setMessage(chat.key, id);
  }
}

/**
 * A success closes the open episode with one quiet recovery message in each chat that was
 * alerted, as a reply to its alert; the admin who pressed Run now (and saw the success there) has
 * their alert edited into the recovery instead. Returns whether an episode was open.
 */
export async function alertRecovery(
  store: EpisodeStore,
  wire: AlertWire,
  input: { chats: (key: string) => AlertChat | null; text: (chat: AlertChat, episode: AlertEpisode) => string; shownIn?: number },
): Promise<boolean> {
  const episode = store.close();
  if (!episode) return false;
  for (const [key, messageId] of Object.entries(episode.messages)) {
    const chat = input.chats(key);
    if (!chat) continue;
    const text = input.text(chat, episode);
    if (chat.admin && chat.chat === input.shownIn && (await wire.edit(chat, messageId, text))) continue;
    await wire.send(chat, text, { silent: true, replyTo: messageId });
  }
  return true;
}

/**
 * Failures are "the same" when they have the same status and reason: the keys of the stored
 * reason, nested ones included ("cannot connect: refused" is not "permission denied"), and its
 * texts (a tool's own message) with every number left out, so sizes, times, object ids and
 * timestamped file names of one run do not make each repeat "new".
 */
export function reasonKeyOf(r: RunResult): string {
  const reason = r.errorKey ? shapeOf({ key: r.errorKey, params: r.errorParams }) : withoutNumbers(r.error ?? "");
  return `${r.status}:${reason}`.slice(0, 500);
}

/** A mirror copy's failures are "the same" when their texts are, numbers left out (message ids, sizes). */
export const mirrorReasonKeyOf = (error: string): string => `mirror:${withoutNumbers(error)}`;

function shapeOf(t: Translatable): string {
  const params = Object.entries(t.params ?? {}).flatMap(([name, v]) =>
    typeof v === "object" ? [`${name}=${shapeOf(v)}`] : typeof v === "string" ? [`${name}=${withoutNumbers(v)}`] : [],
  );
  return params.length ? `${t.key}(${params.join(",")})` : t.key;
}

const withoutNumbers = (text: string): string => text.replace(/\d+/g, "#").slice(0, 200);

/** Callback data of an alert's buttons: the job card's own (src/bot/keyboards/jobs.ts) for the card and Run now, a one-way disable. */
export function alertButtonData(jobId: number): { card: string; run: string; disable: string } {
  return { card: `job:o:${jobId}`, run: `job:r:${jobId}`, disable: alertDisableData(jobId) };
}
