import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Api } from "grammy";
import { lazyRequire } from "../lazy.js";
import { redact } from "../crypto/redact.js";
import { download } from "../telegram/proxy.js";
import { apiSignal, classify, createTelegramApi } from "../telegram/api.js";

/** What the bot can do in a chat to keep its catalog there (src/application/catalog-publisher.ts, adopt). */
export interface CatalogChat {
  readonly chat: string;
  /** The chat's pinned message (the newest pinned one, as `getChat` gives it), when it is a document. */
  pinned(signal?: AbortSignal): Promise<{ messageId: number; fileId: string | null; fileName: string | null } | null>;
  upload(name: string, bytes: Buffer, caption: string, signal?: AbortSignal): Promise<{ messageId: number; fileId: string }>;
  pin(messageId: number, signal?: AbortSignal): Promise<void>;
  /** Replaces the document of one of the bot's own messages (any age: editMessageMedia). */
  replace(messageId: number, name: string, bytes: Buffer, caption: string, signal?: AbortSignal): Promise<void>;
  /** Best effort: unpins and deletes (Telegram refuses deletions after 48 hours; then it stays, unpinned). */
  discard(messageIds: number[], unpin: number[]): Promise<void>;
  download(fileId: string, signal?: AbortSignal): Promise<Buffer>;
}

/** A Bot API failure in a catalog operation, the token never shown. */
export class CatalogChatError extends Error {
  override name = "CatalogChatError";
  /** Retrying cannot help (no rights to pin, chat gone). */
  permanent = false;
}

export interface CatalogChatOptions {
  token: string;
  apiRoot: string;
  chat: string;
  threadId?: number;
  timeoutSeconds?: number;
  /** An API client to reuse (tests, the bot); default a new one for `token`. */
  api?: Api;
  /** `TELEGRAM_PROXY`: API calls and the catalog's download go through it. */
  proxy?: string;
}

export function createTelegramCatalogChat(options: CatalogChatOptions): CatalogChat {
  const { token, chat } = options;
  let api: Api | undefined = options.api;
  const client = () => (api ??= createTelegramApi(token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds, proxy: options.proxy }));
  const thread = options.threadId ? { message_thread_id: options.threadId } : {};
  const fail = (err: unknown, action: string): never => {
    const c = classify(err);
    const error = new CatalogChatError(`${action} in chat ${chat}: ${redact(c.detail, [token])}`, { cause: err });
    error.permanent = c.permanent && c.kind !== "other";
    throw error;
  };

  return {
    chat,
    async pinned(signal) {
      try {
        const info = await client().getChat(chat, apiSignal(signal));
        const message = (info as { pinned_message?: { message_id: number; document?: { file_id: string; file_name?: string } } }).pinned_message;
        if (!message) return null;
        return { messageId: message.message_id, fileId: message.document?.file_id ?? null, fileName: message.document?.file_name ?? null };
      } catch (err) {
        return fail(err, "reading the pinned message");
      }
    },
    async upload(name, bytes, caption, signal) {
      const { InputFile } = lazyRequire("grammy") as typeof import("grammy");
      try {
        const message = await client().sendDocument(chat, new InputFile(bytes, name), { caption: caption.slice(0, 1024), disable_notification: true, ...thread }, apiSignal(signal));
        if (!message.document?.file_id) throw new Error("Telegram returned no file id");
        return { messageId: message.message_id, fileId: message.document.file_id };
      } catch (err) {
        return fail(err, `uploading ${name}`);
      }
    },
    async pin(messageId, signal) {
      try {
        await client().pinChatMessage(chat, messageId, { disable_notification: true }, apiSignal(signal));
      } catch (err) {
        fail(err, "pinning the catalog");
      }
    },
    async replace(messageId, name, bytes, caption, signal) {
      const { InputFile } = lazyRequire("grammy") as typeof import("grammy");
      try {
        await client().editMessageMedia(chat, messageId, { type: "document", media: new InputFile(bytes, name), caption: caption.slice(0, 1024) }, undefined, apiSignal(signal));
      } catch (err) {
        fail(err, `replacing ${name}`);
      }
    },
    async discard(messageIds, unpin) {
      for (const id of unpin) await client().unpinChatMessage(chat, id).catch(() => {});
      if (messageIds.length > 0) await client().deleteMessages(chat, messageIds).catch(() => {});
    },
    async download(fileId, signal) {
      try {
        const file = await client().getFile(fileId, apiSignal(signal));
        if (!file.file_path) throw new Error("Telegram returned no file path");
        // A self-hosted Bot API server in --local mode answers with a path on its own disk.
        if (path.isAbsolute(file.file_path)) return await readFile(file.file_path);
        const chunks: Buffer[] = [];
        for await (const c of await download(`${options.apiRoot}/file/bot${token}/${file.file_path}`, { proxy: options.proxy, signal })) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      } catch (err) {
        return fail(err, "downloading the catalog");
      }
    },
  };
}
