import { constants, createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Api } from "grammy";
import { lazyRequire } from "../lazy.js";
import { formatBytes, sizeParam } from "../shared/format.js";
import { redact } from "../crypto/redact.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import { apiSignal, classify, createTelegramApi, limitsFor } from "../telegram/api.js";
import { download } from "../telegram/proxy.js";
import { CALLER_RETRIED_METHODS } from "../shared/retry-policy.js";
import { renderTranslatable, type Translatable, type TranslatableParam } from "../shared/translatable.js";
import { DestinationError, type Destination, type DestinationConfig, type PartInfo, type RunLabel, type StoredLocation } from "./port.js";

/** Telegram refuses to delete messages older than 48 hours; stay clear of the edge. */
const DELETE_WINDOW_MS = 47.5 * 60 * 60 * 1000;
const DELETE_BATCH = 100;

export interface TelegramDestinationDeps {
  apiRoot: string;
  /** A self-hosted Bot API server lifts the cloud's 50 MB upload / 20 MB download limits. */
  selfHosted: boolean;
  /** The main bot's token, used unless the destination has its own. */
  defaultToken: string | undefined;
  translate: Translate;
  /** Language of captions and probe messages posted into the channel. */
  locale: string;
  log: Logger;
  /** Abort a request that makes no progress for this long (then it is retried). */
  timeoutSeconds?: number;
  now?: () => number;
  /** `TELEGRAM_PROXY`: API calls and file downloads go through it. */
  proxy?: string;
}

type TelegramConfig = Extract<DestinationConfig, { kind: "telegram" }>;

/** A part is read for its upload this many bytes at a time. */
const UPLOAD_READ = 1024 * 1024;

/**
 * A Telegram chat (channel, group or forum topic). Each part is one `sendDocument`; the
 * manifest is sent as a reply to the first part. The pinned message is the chat's catalog.
 */
export function createTelegramDestination(config: TelegramConfig, deps: TelegramDestinationDeps): Destination {
  const token = config.botToken || deps.defaultToken;
  const limits = limitsFor(deps.selfHosted);
  const t = (key: string, params: Record<string, string | number> = {}) => deps.translate(deps.locale, key, params);
  /** Sizes in captions speak the channel's language. */
  const speaker = { locale: deps.locale, translate: deps.translate };
  /** An error for people (key + params, said in each reader's language) with its English message for logs. */
  const failure = (key: string, params: Record<string, TranslatableParam>, options: { permanent: boolean; cause?: unknown }) =>
    new DestinationError(renderTranslatable(deps.translate, "en", { key, params }), { ...options, key, params });
  let api: Api | undefined;
  const client = (): Api => {
    if (!token) throw failure("dest-error-no-token", { name: config.name }, { permanent: true });
    return (api ??= createTelegramApi(token, { apiRoot: deps.apiRoot, timeoutSeconds: deps.timeoutSeconds, callerRetries: CALLER_RETRIED_METHODS, proxy: deps.proxy }));
  };
  const chat = config.chatId;
  const thread = config.threadId ? { message_thread_id: config.threadId } : {};
  /** First part's message id per run, so the manifest can reply to it. */
  const firstMessage = new Map<number, number>();

  /** `action` is a `dest-action-*` key: what was being done, said in the reader's language. */
  const fail = (err: unknown, action: Translatable): never => {
    if (err instanceof DestinationError) throw err;
    const c = classify(err);
    throw failure(`dest-error-${c.kind}`, { name: config.name, chat, action, detail: redact(c.detail, [token]) }, { permanent: c.permanent, cause: err });
  };

  return {
    kind: "telegram",
    name: config.name,
    maxPartSize: limits.upload,
    maxFetchSize: limits.download,

    async check(signal) {
      const api = client();
      const sig = apiSignal(signal);
      try {
        const me = await api.getMe(sig);
        await api.getChat(chat, sig);
        const member = await api.getChatMember(chat, me.id, sig);
        const canPost =
          member.status === "creator" ||
          (member.status === "administrator" && member.can_post_messages !== false) ||
          (member.status === "member" && (await api.getChat(chat, sig)).type !== "channel");
        if (member.status === "left" || member.status === "kicked") {
          throw failure("dest-error-not-member", { name: config.name, chat, detail: member.status }, { permanent: true });
        }
        if (!canPost) {
          throw failure("dest-error-no-rights", { name: config.name, chat, detail: member.status }, { permanent: true });
        }
        const probe = await api.sendMessage(chat, t("destination-probe"), { ...thread, disable_notification: true }, sig);
        await api.deleteMessage(chat, probe.message_id, sig);
      } catch (err) {
        fail(err, { key: "dest-action-check" });
      }
    },

    // grammY and its plugins: 0.1-0.2 s to load here.
    prepare() {
      try {
        client();
      } catch {
        // No token: putPart says so.
      }
    },

    async putPart(run: RunLabel, part: PartInfo, file: string, signal: AbortSignal): Promise<StoredLocation> {
      if (part.size > limits.upload) {
        throw failure("dest-error-part-too-large", { name: config.name, part: part.name, size: sizeParam(part.size), limit: sizeParam(limits.upload) }, { permanent: true });
      }
      const isManifest = part.index === 0;
      const caption = isManifest
        ? t("manifest-caption", { job: run.jobName, parts: part.total ?? 0, size: formatBytes(part.size, speaker), recipe: part.recipe ?? "" })
        : t("part-caption", { job: run.jobName, index: part.index, last: part.total === part.index ? "yes" : "no", size: formatBytes(part.size, speaker), sha: part.sha256.slice(0, 16) });
      const replyTo = isManifest ? firstMessage.get(run.runId) : undefined;
      const { InputFile } = lazyRequire("grammy") as typeof import("grammy");
      try {
        // A part that cannot be read fails here, before a request is made: a request whose
        // body breaks after it reached the server would still be counted there as an attempt.
        await access(file, constants.R_OK);
        const message = await client().sendDocument(
          chat,
          // A supplier, so that every attempt (a retry after a flood wait) reads the file anew;
          // 1 MiB reads: a 64 KiB chunk a socket write cost 50-70 ms more per 45 MB job.
          new InputFile(() => createReadStream(file, { highWaterMark: UPLOAD_READ }), part.name),
          {
            caption: caption.slice(0, 1024),
            disable_notification: true,
            ...thread,
            ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
          },
          apiSignal(signal),
        );
        // The manifest is not pinned: the chat's pinned message is its catalog (src/application/catalog-publisher.ts).
        if (part.index === 1) firstMessage.set(run.runId, message.message_id);
        const fileId = message.document?.file_id;
        return { locator: chat, messageId: message.message_id, ...(fileId ? { fileId } : {}) };
      } catch (err) {
        return fail(err, { key: "dest-action-send", params: { file: part.name } });
      }
    },

    async fetch(location: StoredLocation, signal?: AbortSignal): Promise<Readable> {
      if (!location.fileId) {
        throw failure("dest-error-no-file-id", { name: config.name, chat }, { permanent: true });
      }
      try {
        const file = await client().getFile(location.fileId, apiSignal(signal));
        if (!file.file_path) throw new Error("Telegram returned no file path");
        // A self-hosted Bot API server in --local mode answers with a path on its own disk
        // (mounted into this container, see docker-compose.yml).
        if (path.isAbsolute(file.file_path)) return createReadStream(file.file_path);
        const url = `${deps.apiRoot}/file/bot${token}/${file.file_path}`;
        return await download(url, { proxy: deps.proxy, signal });
      } catch (err) {
        return fail(err, { key: "dest-action-download" });
      }
    },

    // An edit that changes nothing: "not modified" means the message is there, "not found" that it is gone.
    async exists(location: StoredLocation, signal?: AbortSignal): Promise<boolean | undefined> {
      if (!location.messageId) return undefined;
      try {
        await client().editMessageReplyMarkup(location.locator || chat, location.messageId, {}, apiSignal(signal));
        return true;
      } catch (err) {
        const detail = classify(err).detail;
        if (/message is not modified/i.test(detail)) return true;
        if (/message to edit not found/i.test(detail)) return false;
        if (/message can't be edited/i.test(detail)) return undefined;
        return fail(err, { key: "dest-action-check" });
      }
    },

    ...(config.mirrorChatId ? { mirror: (run: RunLabel, copies: Array<{ name: string; location: StoredLocation }>, signal: AbortSignal) => mirrorCopies(run, copies, signal) } : {}),

    async delete(locations: StoredLocation[], signal?: AbortSignal) {
      signal?.throwIfAborted();
      const now = (deps.now ?? Date.now)();
      const refused: StoredLocation[] = [];
      const deletable: StoredLocation[] = [];
      for (const l of locations) {
        if (!l.messageId) continue;
        if (l.storedAt && now - l.storedAt.getTime() > DELETE_WINDOW_MS) refused.push(l);
        else deletable.push(l);
      }
      // Each location's own chat: a mirror copy lives in the mirror chat.
      const byChat = new Map<string, StoredLocation[]>();
      for (const l of deletable) byChat.set(l.locator || chat, [...(byChat.get(l.locator || chat) ?? []), l]);
      for (const [where, list] of byChat) await deleteIn(where, list, refused, signal);
      return { refused };
    },
  };

  async function deleteIn(chat: string, deletable: StoredLocation[], refused: StoredLocation[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < deletable.length; i += DELETE_BATCH) {
      const batch = deletable.slice(i, i + DELETE_BATCH);
      try {
        await client().deleteMessages(chat, batch.map((l) => l.messageId!), apiSignal(signal));
      } catch {
        signal?.throwIfAborted();
        // The batch was refused as a whole: find out message by message which ones can go.
        for (const l of batch) {
          try {
            await client().deleteMessage(chat, l.messageId!, apiSignal(signal));
          } catch (err) {
            signal?.throwIfAborted();
            const c = classify(err);
            if (/message to delete not found/i.test(c.detail)) continue;
            // Only a refusal is "refused"; a fault that may pass fails the call, to be tried again.
            if (!c.permanent) fail(err, { key: "dest-action-delete" });
            refused.push(l);
          }
        }
      }
    }
  }

  /** copyMessages in batches of ≤ 100, then each copy's caption is edited, which hands back its document (and file_id). */
  async function mirrorCopies(run: RunLabel, copies: Array<{ name: string; location: StoredLocation }>, signal: AbortSignal): Promise<StoredLocation[]> {
    const mirrorChat = config.mirrorChatId!;
    const mirrorThread = config.mirrorThreadId ? { message_thread_id: config.mirrorThreadId } : {};
    const out: StoredLocation[] = new Array(copies.length);
    // copyMessages wants message ids in increasing order; the answer keeps the caller's order.
    const order = copies.map((c, n) => ({ ...c, n })).sort((a, b) => a.location.messageId! - b.location.messageId!);
    const made: StoredLocation[] = [];
    try {
      for (let i = 0; i < order.length; i += DELETE_BATCH) {
        const batch = order.slice(i, i + DELETE_BATCH);
        const from = batch[0]!.location.locator || chat;
        const ids = batch.map((c) => c.location.messageId!);
        const copied = await client().copyMessages(mirrorChat, from, ids, { ...mirrorThread, disable_notification: true }, apiSignal(signal));
        made.push(...copied.map((m) => ({ locator: mirrorChat, messageId: m.message_id })));
        if (copied.length !== batch.length) throw new Error(`copied ${copied.length} of ${batch.length} messages`);
        for (const [n, m] of copied.entries()) {
          const caption = t("mirror-caption", { job: run.jobName, name: batch[n]!.name });
          const edited = await client().editMessageCaption(mirrorChat, m.message_id, { caption }, apiSignal(signal));
          const fileId = typeof edited === "object" ? (edited as { document?: { file_id: string } }).document?.file_id : undefined;
          if (!fileId) throw new Error(`the copy of ${batch[n]!.name} has no file`);
          out[batch[n]!.n] = { locator: mirrorChat, messageId: m.message_id, fileId, storedAt: new Date((deps.now ?? Date.now)()) };
        }
      }
    } catch (err) {
      // No half mirror left behind: the copies made so far go again (as far as Telegram lets them).
      if (!signal.aborted) await deleteIn(mirrorChat, made, [], signal).catch(() => undefined);
      return fail(err, { key: "dest-action-mirror", params: { chat: mirrorChat } });
    }
    return out;
  }
}
