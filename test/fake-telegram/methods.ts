import { badRequest } from "./api-error.js";
import { visibleText } from "./formatting.js";
import type { UploadedFile } from "./multipart.js";
import type { Params } from "./params.js";
import { commandKey, memberJson, type BotRecord, type ChatRecord, type FileRecord, type MessageRecord, type PostOptions, type TelegramModel } from "./state.js";
import type { BotCommand, Document, Message, MessageEntity, ReplyMarkup } from "./types.js";

/** One Bot API call as a handler sees it. */
export interface MethodCall {
  model: TelegramModel;
  bot: BotRecord;
  params: Params;
  /** File parts of a multipart request; parts a handler does not store are removed afterwards. */
  files: UploadedFile[];
  /** Aborts when the client goes away (long polling). */
  signal: AbortSignal;
  /** What the call did beyond its reply, copied into the request log (e.g. deleteMessages). */
  effect?: Record<string, unknown>;
}

type Handler = (call: MethodCall) => unknown;

export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

const handlers: Record<string, Handler> = {
  getMe: ({ bot }) => ({
    ...bot.user, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
    can_connect_to_business: false, has_main_web_app: false,
  }),

  async getUpdates({ model, bot, params, signal }) {
    const offset = params.int("offset");
    const limit = Math.min(100, Math.max(1, params.int("limit") ?? 100));
    const timeout = Math.min(50, Math.max(0, params.int("timeout") ?? 0));
    const allowed = params.json<string[]>("allowed_updates");
    // Telegram keeps the last allowed_updates when the parameter is omitted; [] means default.
    if (allowed !== undefined) bot.allowedUpdates = allowed.length ? new Set(allowed) : undefined;
    bot.poll?.terminate();
    const updates = model.takeUpdates(bot, offset, limit);
    if (updates.length > 0 || timeout === 0) return updates;
    await model.waitForUpdate(bot, timeout * 1000, signal);
    return model.takeUpdates(bot, undefined, limit);
  },

  deleteWebhook: ({ bot, params }) => {
    if (params.bool("drop_pending_updates")) bot.pending = [];
    return true;
  },

  getWebhookInfo: ({ bot }) => ({ url: "", has_custom_certificate: false, pending_update_count: bot.pending.length }),

  setMyCommands: ({ bot, params }) => {
    const commands = params.json<BotCommand[]>("commands") ?? [];
    if (!Array.isArray(commands) || commands.length > 100) throw badRequest("too many commands");
    for (const c of commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(c.command ?? "")) throw badRequest("BOT_COMMAND_INVALID");
      if (!c.description || c.description.length > 256) throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
    }
    const key = commandKey(params.json("scope"), params.str("language_code"));
    bot.commands.set(key, commands.map((c) => ({ command: c.command, description: c.description })));
    return true;
  },

  getMyCommands: ({ bot, params }) => bot.commands.get(commandKey(params.json("scope"), params.str("language_code"))) ?? [],

  deleteMyCommands: ({ bot, params }) => {
    bot.commands.delete(commandKey(params.json("scope"), params.str("language_code")));
    return true;
  },

  sendMessage: (call) => {
    const { model, bot, params } = call;
    const { chat, options } = prepareSend(call, "text");
    const text = checkedText(params.str("text"), params.str("parse_mode"));
    model.consumeSendSlot(chat);
    const entities = params.json<MessageEntity[]>("entities");
    return model.post(bot, bot.user, chat, { text, ...(entities ? { entities } : {}) }, options).message;
  },

  async sendDocument(call) {
    const { model, bot, params } = call;
    const { chat, options } = prepareSend(call, "document");
    const caption = checkedCaption(params.str("caption"), params.str("parse_mode"));
    const source = documentSource(call);
    model.consumeSendSlot(chat);
    const file = "upload" in source ? await model.storeUpload(bot, source.upload) : source.file;
    const document: Document = {
      ...(file.fileName ? { file_name: file.fileName } : {}),
      mime_type: file.mimeType, file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size,
    };
    const captionEntities = params.json<MessageEntity[]>("caption_entities");
    return model.post(bot, bot.user, chat, {
      document,
      ...(caption !== undefined ? { caption } : {}),
      ...(captionEntities ? { caption_entities: captionEntities } : {}),
    }, options).message;
  },

  /** Replaces a document message's file (and caption); only documents are modelled. */
  async editMessageMedia(call) {
    const { model, bot, params, files } = call;
    const { record } = editable(call);
    const media = params.json<{ type?: string; media?: string; caption?: string; parse_mode?: string }>("media", "can't parse InputMedia JSON object");
    if (!media || typeof media !== "object" || !media.type) throw badRequest("can't parse InputMedia: media type is not specified");
    if (media.type !== "document") throw badRequest(`can't parse InputMedia: unsupported media type "${media.type}" in the fake`);
    if (!record.message.document) throw badRequest("there is no media in the message to edit");
    const value = media.media ?? "";
    let file: FileRecord | undefined;
    if (value.startsWith("attach://")) {
      const upload = files.find((f) => f.field === value.slice("attach://".length));
      if (!upload) throw badRequest("can't parse InputMedia: media not found");
      if (upload.size === 0) throw badRequest("file must be non-empty");
      file = await model.storeUpload(bot, upload);
    } else {
      file = model.fileForBot(bot, value);
      if (!file) throw badRequest("wrong file identifier/HTTP URL specified");
    }
    const caption = checkedCaption(media.caption, media.parse_mode);
    record.message.document = {
      ...(file.fileName ? { file_name: file.fileName } : {}),
      mime_type: file.mimeType, file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size,
    };
    return edit(model, record, { caption, ...(media.caption !== undefined ? { sourceText: media.caption } : {}) }, replyMarkup(params));
  },

  getFile: ({ model, bot, params }) => {
    const file = model.fileForBot(bot, params.str("file_id") ?? "");
    if (!file) throw badRequest("invalid file_id");
    if (file.size > model.downloadLimit) throw badRequest("file is too big");
    return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size, file_path: file.filePath };
  },

  editMessageText: (call) => {
    const { model, params } = call;
    const { record } = editable(call);
    if (record.message.text === undefined) throw badRequest("there is no text in the message to edit");
    const text = checkedText(params.str("text"), params.str("parse_mode"));
    const markup = replyMarkup(params);
    if (text === record.message.text && sameMarkup(markup, record.message.reply_markup)) throw badRequest(NOT_MODIFIED);
    const entities = params.json<MessageEntity[]>("entities");
    return edit(model, record, { text, entities, sourceText: params.str("text"), parseMode: params.str("parse_mode") }, markup);
  },

  editMessageCaption: (call) => {
    const { model, params } = call;
    const { record } = editable(call);
    const caption = checkedCaption(params.str("caption"), params.str("parse_mode"));
    const markup = replyMarkup(params);
    if (caption === record.message.caption && sameMarkup(markup, record.message.reply_markup)) throw badRequest(NOT_MODIFIED);
    const entities = params.json<MessageEntity[]>("caption_entities");
    return edit(model, record, { caption, entities, sourceText: params.str("caption"), parseMode: params.str("parse_mode") }, markup);
  },

  editMessageReplyMarkup: (call) => {
    const { record } = editable(call);
    const markup = replyMarkup(call.params);
    if (sameMarkup(markup, record.message.reply_markup)) throw badRequest(NOT_MODIFIED);
    return edit(call.model, record, {}, markup);
  },

  deleteMessage: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    if (chat.chat.type !== "private") model.assertMember(bot, chat);
    const record = model.liveMessage(chat, params.requireInt("message_id", "message identifier is not specified"), "message to delete not found");
    if (!model.canDelete(bot, chat, record)) throw badRequest("message can't be deleted");
    model.deleteMessage(chat, record);
    return true;
  },

  // Telegram skips the messages it cannot find or delete and still answers true; the log's
  // `effect` and `deletedMessageIds()` show which ones went.
  deleteMessages: (call) => {
    const { model, bot, params } = call;
    const chat = model.resolveChat(bot, params.chatId());
    if (chat.chat.type !== "private") model.assertMember(bot, chat);
    const ids = params.json<number[]>("message_ids") ?? [];
    if (!Array.isArray(ids) || ids.length === 0) throw badRequest("message identifiers are not specified");
    if (ids.length > 100) throw badRequest("too many message identifiers specified");
    const deleted: number[] = [];
    const skipped: number[] = [];
    for (const id of ids.map(Number)) {
      const record = chat.messages.get(id);
      if (record && record.deletedAt === undefined && model.canDelete(bot, chat, record)) {
        model.deleteMessage(chat, record);
        deleted.push(id);
      } else skipped.push(id);
    }
    call.effect = { deleted, skipped };
    return true;
  },

  answerCallbackQuery: ({ model, bot, params }) => {
    const id = params.str("callback_query_id") ?? "";
    if (!bot.openCallbackQueries.delete(id)) throw badRequest("query is too old and response timeout expired or query ID is invalid");
    const text = params.str("text");
    const url = params.str("url");
    model.callbackAnswers.push({ callback_query_id: id, ...(text ? { text } : {}), show_alert: params.bool("show_alert"), ...(url ? { url } : {}) });
    return true;
  },

  pinChatMessage: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    model.assertCanPin(bot, chat);
    const record = model.liveMessage(chat, params.requireInt("message_id", "message identifier is not specified"), "message to pin not found");
    const id = record.message.message_id;
    chat.pinned = [...chat.pinned.filter((p) => p !== id), id];
    const { reply_to_message: _, ...pinned } = record.message;
    model.post(bot, bot.user, chat, { pinned_message: pinned }, { disableNotification: params.bool("disable_notification") });
    return true;
  },

  unpinChatMessage: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    model.assertCanPin(bot, chat);
    const id = params.int("message_id") ?? chat.pinned.at(-1);
    chat.pinned = chat.pinned.filter((p) => p !== id);
    return true;
  },

  unpinAllChatMessages: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    model.assertCanPin(bot, chat);
    chat.pinned = [];
    return true;
  },

  getChat: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    const pinnedId = chat.pinned.at(-1);
    const pinned = pinnedId === undefined ? undefined : chat.messages.get(pinnedId)?.message;
    return {
      ...chat.chat, accent_color_id: 0, max_reaction_count: 11,
      ...(chat.chat.type === "group" || chat.chat.type === "supergroup" ? { permissions: chat.permissions } : {}),
      ...(pinned ? { pinned_message: pinned } : {}),
    };
  },

  getChatMember: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    const userId = params.requireInt("user_id", "user not found");
    const member = model.chatMember(chat.chat.id, userId);
    if (member) return member;
    const user = model.userById(userId);
    if (!user) throw badRequest("user not found");
    return { status: "left", user };
  },

  getChatAdministrators: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    if (chat.chat.type === "private") throw badRequest("there are no administrators in the private chat");
    return [...chat.members.entries()]
      .filter(([, m]) => m.status === "creator" || m.status === "administrator")
      .flatMap(([id, m]) => {
        const user = model.userById(id);
        return user ? [memberJson(user, m)] : [];
      });
  },

  sendChatAction: ({ model, bot, params }) => {
    const chat = model.resolveChat(bot, params.chatId());
    model.assertCanSend(bot, chat, "text");
    return true;
  },

  copyMessage: (call) => {
    const { model, bot, params } = call;
    const source = sourceMessage(call, "message to copy not found");
    if (source.message.pinned_message) throw badRequest("message can't be copied");
    const { chat, options } = prepareSend(call, source.message.document ? "document" : "text");
    const caption = params.has("caption") ? checkedCaption(params.str("caption"), params.str("parse_mode")) : source.message.caption;
    model.consumeSendSlot(chat);
    const { text, entities, document, caption_entities } = source.message;
    const copy = model.post(bot, bot.user, chat, {
      ...(text !== undefined ? { text } : {}),
      ...(entities ? { entities } : {}),
      ...(document ? { document } : {}),
      ...(caption !== undefined ? { caption } : {}),
      ...(caption_entities && !params.has("caption") ? { caption_entities } : {}),
    }, options);
    return { message_id: copy.message.message_id };
  },

  /** Copies up to 100 messages; a copied document gets a file of its own (its own file_id), like a stored file that outlives its original. */
  copyMessages: (call) => {
    const { model, bot, params } = call;
    const from = model.resolveChat(bot, params.chatId("from_chat_id"));
    const ids = params.json<number[]>("message_ids") ?? [];
    if (!Array.isArray(ids) || ids.length === 0) throw badRequest("message identifiers are not specified");
    if (ids.length > 100) throw badRequest("too many message identifiers specified");
    const sources = ids.map(Number).map((id) => from.messages.get(id)).filter((r): r is MessageRecord => r !== undefined && r.deletedAt === undefined && !r.message.pinned_message);
    if (sources.length === 0) throw badRequest("messages to copy not found");
    const copies: Array<{ message_id: number }> = [];
    for (const source of sources) {
      const { chat, options } = prepareSend(call, source.message.document ? "document" : "text");
      model.consumeSendSlot(chat);
      const { text, entities, document, caption, caption_entities } = source.message;
      const copy = model.post(bot, bot.user, chat, {
        ...(text !== undefined ? { text } : {}),
        ...(entities ? { entities } : {}),
        ...(document ? { document: model.cloneDocument(document) } : {}),
        ...(caption !== undefined ? { caption } : {}),
        ...(caption_entities ? { caption_entities } : {}),
      }, options);
      copies.push({ message_id: copy.message.message_id });
    }
    return copies;
  },

  forwardMessage: (call) => {
    const { model, bot } = call;
    const source = sourceMessage(call, "message to forward not found");
    const { chat, options } = prepareSend(call, source.message.document ? "document" : "text");
    model.consumeSendSlot(chat);
    const { text, entities, document, caption, caption_entities, sender_chat, from } = source.message;
    const origin = sender_chat
      ? { type: "channel", chat: sender_chat, message_id: source.message.message_id, date: source.message.date }
      : { type: "user", sender_user: from, date: source.message.date };
    return model.post(bot, bot.user, chat, {
      forward_origin: origin,
      ...(text !== undefined ? { text } : {}),
      ...(entities ? { entities } : {}),
      ...(document ? { document } : {}),
      ...(caption !== undefined ? { caption } : {}),
      ...(caption_entities ? { caption_entities } : {}),
    }, { ...options, replyMarkup: undefined }).message;
  },
};

/** Method lookup is case-insensitive, like the Bot API's. */
const byLowerName = new Map(Object.entries(handlers).map(([name, h]) => [name.toLowerCase(), h]));

export function findMethod(name: string): Handler | undefined {
  return byLowerName.get(name.toLowerCase());
}


// ------------------------------------------------------------------ shared rules

function prepareSend(call: MethodCall, kind: "text" | "document"): { chat: ChatRecord; options: PostOptions } {
  const { model, bot, params } = call;
  const chat = model.resolveChat(bot, params.chatId());
  model.assertCanSend(bot, chat, kind);
  const threadId = params.int("message_thread_id");
  model.assertThread(chat, threadId);
  const reply = params.json<{ message_id?: number; allow_sending_without_reply?: boolean }>("reply_parameters");
  const replyId = reply?.message_id ?? params.int("reply_to_message_id");
  const allowWithout = reply?.allow_sending_without_reply ?? params.bool("allow_sending_without_reply");
  let replyTo: Message | undefined;
  if (replyId !== undefined) {
    const target = chat.messages.get(replyId);
    if (target && target.deletedAt === undefined) replyTo = target.message;
    else if (!allowWithout) throw badRequest("message to be replied not found");
  }
  const markup = replyMarkup(params);
  const parseMode = params.str("parse_mode");
  const sourceText = params.str("text") ?? params.str("caption");
  return {
    chat,
    options: {
      ...(threadId ? { threadId } : {}),
      ...(replyTo ? { replyTo } : {}),
      ...(markup ? { replyMarkup: markup } : {}),
      disableNotification: params.bool("disable_notification"),
      protectContent: params.bool("protect_content"),
      ...(parseMode ? { parseMode } : {}),
      ...(sourceText !== undefined ? { sourceText } : {}),
    },
  };
}

function checkedText(text: string | undefined, parseMode: string | undefined): string {
  if (text === undefined || text === "") throw badRequest("message text is empty");
  const visible = visibleText(text, parseMode);
  if (visible.trim() === "") throw badRequest("message text is empty");
  if (visible.length > TEXT_LIMIT) throw badRequest("message is too long");
  return visible;
}

function checkedCaption(caption: string | undefined, parseMode: string | undefined): string | undefined {
  if (caption === undefined || caption === "") return undefined;
  const visible = visibleText(caption, parseMode);
  if (visible.length > CAPTION_LIMIT) throw badRequest("message caption is too long");
  return visible;
}

function replyMarkup(params: Params): ReplyMarkup | undefined {
  const markup = params.json<ReplyMarkup>("reply_markup", "can't parse reply keyboard markup JSON object");
  if (markup === undefined) return undefined;
  if (typeof markup !== "object" || markup === null) throw badRequest("can't parse reply keyboard markup JSON object");
  if (markup.inline_keyboard !== undefined) {
    if (!Array.isArray(markup.inline_keyboard) || !markup.inline_keyboard.every(Array.isArray)) {
      throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    }
    for (const button of markup.inline_keyboard.flat()) {
      if (!button.text) throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      const actions = Object.keys(button).filter((k) => k !== "text");
      if (actions.length === 0) throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      if (button.callback_data !== undefined) {
        const bytes = Buffer.byteLength(String(button.callback_data));
        if (bytes < 1 || bytes > 64) throw badRequest("BUTTON_DATA_INVALID");
      }
    }
  }
  return markup;
}

function sameMarkup(next: ReplyMarkup | undefined, current: ReplyMarkup | undefined): boolean {
  const norm = (m: ReplyMarkup | undefined) => JSON.stringify(m?.inline_keyboard?.length ? m.inline_keyboard : null);
  return norm(next) === norm(current);
}

/** A message the bot may edit; `chat_id` + `message_id` (inline messages are not modelled). */
function editable({ model, bot, params }: MethodCall): { chat: ChatRecord; record: MessageRecord } {
  if (params.has("inline_message_id")) throw badRequest("MESSAGE_ID_INVALID");
  const chat = model.resolveChat(bot, params.chatId());
  if (chat.chat.type !== "private") model.assertMember(bot, chat);
  const record = model.liveMessage(chat, params.requireInt("message_id", "message identifier is not specified"), "message to edit not found");
  if (!model.canEdit(bot, chat, record)) throw badRequest("message can't be edited");
  return { chat, record };
}

function edit(
  model: TelegramModel,
  record: MessageRecord,
  change: { text?: string; caption?: string; entities?: MessageEntity[] | undefined; sourceText?: string | undefined; parseMode?: string | undefined },
  markup: ReplyMarkup | undefined,
): Message {
  const m = record.message;
  if (change.text !== undefined) {
    m.text = change.text;
    if (change.entities) m.entities = change.entities;
    else delete m.entities;
  }
  if ("caption" in change) {
    if (change.caption === undefined) delete m.caption;
    else m.caption = change.caption;
    if (change.entities) m.caption_entities = change.entities;
    else delete m.caption_entities;
  }
  if (change.sourceText !== undefined) record.sourceText = change.sourceText;
  if ("parseMode" in change) record.parseMode = change.parseMode;
  // Like Telegram, an edit without reply_markup removes the inline keyboard.
  if (markup?.inline_keyboard?.length) m.reply_markup = structuredClone(markup);
  else delete m.reply_markup;
  m.edit_date = model.now();
  model.changed();
  return structuredClone(m);
}

function documentSource(call: MethodCall): { upload: UploadedFile } | { file: FileRecord } {
  const { model, bot, params, files } = call;
  const value = params.str("document");
  let upload: UploadedFile | undefined;
  if (value === undefined || value === "") upload = files.find((f) => f.field === "document");
  else if (value.startsWith("attach://")) upload = files.find((f) => f.field === value.slice("attach://".length));
  else {
    const file = model.fileForBot(bot, value);
    if (!file) throw badRequest("wrong file identifier/HTTP URL specified");
    return { file };
  }
  if (!upload) throw badRequest("there is no document in the request");
  if (upload.size === 0) throw badRequest("file must be non-empty");
  return { upload };
}

function sourceMessage({ model, bot, params }: MethodCall, notFound: string): MessageRecord {
  const from = model.resolveChat(bot, params.chatId("from_chat_id"));
  return model.liveMessage(from, params.requireInt("message_id", "message identifier is not specified"), notFound);
}
