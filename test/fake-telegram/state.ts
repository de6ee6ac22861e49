import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { copyFileSync } from "node:fs";
import { readFile, rename } from "node:fs/promises";
import path from "node:path";
import { ApiError, badRequest, forbidden, tooManyRequests } from "./api-error.js";
import type {
  AdminRights, BotCommand, CallbackQuery, Chat, ChatMember, ChatPermissions, ChatType, Document,
  MemberStatus, Message, MessageEntity, ReplyMarkup, Update, User,
} from "./types.js";
import type { UploadedFile } from "./multipart.js";

/**
 * The in-memory world behind the fake Bot API: bots, users, chats with their members and
 * messages, stored files and per-bot update queues. Method handlers (methods.ts) enforce the
 * Bot API rules on it; tests read and arrange it through the public methods below.
 */

export const DEFAULT_TOKEN = "1000001:AAF_fake-telegram-default-bot-token";
/** Telegram's rule: bots cannot delete messages older than 48 hours. */
export const DELETE_WINDOW_SECONDS = 48 * 3600;

export const FULL_ADMIN_RIGHTS: AdminRights = {
  can_manage_chat: true, can_post_messages: true, can_edit_messages: true, can_delete_messages: true,
  can_pin_messages: true, can_manage_topics: true, can_invite_users: true, can_change_info: true,
  can_restrict_members: true, can_promote_members: false, can_manage_video_chats: true,
};
const NO_ADMIN_RIGHTS: AdminRights = {
  can_manage_chat: true, can_post_messages: false, can_edit_messages: false, can_delete_messages: false,
  can_pin_messages: false, can_manage_topics: false, can_invite_users: false, can_change_info: false,
  can_restrict_members: false, can_promote_members: false, can_manage_video_chats: false,
};
const DEFAULT_GROUP_PERMISSIONS: ChatPermissions = { can_send_messages: true, can_send_documents: true, can_pin_messages: false };
/** Update types Telegram delivers when `allowed_updates` is empty or was never set. */
const DEFAULT_EXCLUDED_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

export interface BotRecord {
  token: string;
  user: User;
  revoked: boolean;
  /** Key: `${JSON scope}|${language_code}`. */
  commands: Map<string, BotCommand[]>;
  pending: Update[];
  nextUpdateId: number;
  /** Highest update id the bot confirmed with a later `offset`. */
  confirmedUpdateId: number;
  allowedUpdates: Set<string> | undefined;
  /** The getUpdates request currently waiting, if any. */
  poll: { wake(): void; terminate(error?: ApiError): void } | undefined;
  openCallbackQueries: Set<string>;
}

export interface Membership {
  status: MemberStatus;
  rights: AdminRights;
  permissions: ChatPermissions;
}

/** How tests set a bot's (or user's) place in a chat. "absent": the chat is unknown to it. */
export interface MembershipInput {
  status: MemberStatus | "absent";
  /** administrator: rights not named are false. */
  rights?: Partial<AdminRights>;
  /** restricted: permissions not named are false. */
  permissions?: Partial<ChatPermissions>;
}

export interface MessageRecord {
  message: Message;
  /** The bot that sent it through the API; undefined for injected user messages. */
  sentByBot: number | undefined;
  disableNotification: boolean;
  protectContent: boolean;
  parseMode: string | undefined;
  /** text or caption exactly as sent, before parse_mode markup was applied. */
  sourceText: string | undefined;
  deletedAt: number | undefined;
}

export interface ChatRecord {
  chat: Chat;
  nextMessageId: number;
  members: Map<number, Membership>;
  permissions: ChatPermissions;
  topics: Set<number>;
  messages: Map<number, MessageRecord>;
  /** Pinned message ids, most recent last. */
  pinned: number[];
  /** Message ids in the order they were deleted. */
  deleted: number[];
  /** Send times (ms) inside the flood window. */
  recentSends: number[];
}

export interface FileRecord {
  fileId: string;
  fileUniqueId: string;
  fileName: string | undefined;
  mimeType: string;
  size: number;
  /** Bytes on disk. */
  diskPath: string;
  /** The Bot API `file_path` used in download URLs. */
  filePath: string;
  /** file_ids are per bot, like Telegram's. */
  botId: number;
}

/** A message as tests inspect it: the Bot API object plus what the API does not echo back. */
export type StoredMessage = Message & {
  sent_by_bot?: number;
  disable_notification: boolean;
  protect_content: boolean;
  parse_mode?: string;
  /** text or caption as the bot sent it (markup included). */
  source_text?: string;
  deleted: boolean;
  pinned: boolean;
};

export interface CallbackAnswer {
  callback_query_id: string;
  text?: string;
  show_alert: boolean;
  url?: string;
}

export interface ModelOptions {
  /** Directory where stored files live. */
  filesDir: string;
  token: string;
  botUsername: string;
  downloadLimit: number;
  floodLimit: { messages: number; perSeconds: number } | undefined;
}

export interface PostContent {
  text?: string;
  entities?: MessageEntity[];
  caption?: string;
  caption_entities?: MessageEntity[];
  document?: Document;
  pinned_message?: Message;
  forward_origin?: Record<string, unknown>;
}

export interface PostOptions {
  threadId?: number;
  replyTo?: Message;
  replyMarkup?: ReplyMarkup;
  disableNotification?: boolean;
  protectContent?: boolean;
  parseMode?: string;
  sourceText?: string;
}

export class TelegramModel extends EventEmitter {
  readonly token: string;
  protected readonly bots = new Map<string, BotRecord>();
  protected readonly users = new Map<number, { user: User; blocked: boolean }>();
  protected readonly chats = new Map<number, ChatRecord>();
  protected readonly files = new Map<string, FileRecord>();
  readonly callbackAnswers: CallbackAnswer[] = [];
  private clockOffsetMs = 0;
  private nextUserId = 10_001;
  private nextChannelId = -1_001_000_000_001;
  private nextFileNumber = 1;

  constructor(protected readonly options: ModelOptions) {
    super();
    this.setMaxListeners(0); // every waitFor() listens for "change"
    this.token = options.token;
    this.addBot({ token: options.token, username: options.botUsername });
  }

  // ---------------------------------------------------------------- clock

  /** The fake's "now" in unix seconds (message dates, the 48-hour rule). */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  nowMs(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the fake's clock forward (e.g. past the 48-hour delete window or a flood window). */
  advanceClock(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
    this.changed();
  }

  /** Back-dates (or post-dates) one stored message. */
  setMessageDate(chatId: number, messageId: number, unixSeconds: number): void {
    const record = this.chatRecord(chatId).messages.get(messageId);
    if (!record) throw new Error(`fake-telegram: no message ${messageId} in chat ${chatId}`);
    record.message.date = unixSeconds;
    this.changed();
  }

  // ---------------------------------------------------------------- bots

  /** Registers another valid bot token; returns it. */
  addBot(options: { token?: string; username?: string; firstName?: string } = {}): string {
    const token = options.token ?? `${2_000_000 + this.bots.size}:AAF_${randomBytes(24).toString("base64url")}`;
    if (!/^\d+:[\w-]+$/.test(token)) throw new Error(`fake-telegram: malformed bot token ${token}`);
    const id = Number(token.split(":")[0]);
    const username = options.username ?? `fake_${id}_bot`;
    this.bots.set(token, {
      token,
      user: { id, is_bot: true, first_name: options.firstName ?? "Fake Backup Bot", username },
      revoked: false,
      commands: new Map(),
      pending: [],
      nextUpdateId: 100_000_001,
      confirmedUpdateId: 0,
      allowedUpdates: undefined,
      poll: undefined,
      openCallbackQueries: new Set(),
    });
    return token;
  }

  /** From now on the token answers 401 Unauthorized, like a token revoked in @BotFather. */
  revokeToken(token: string): void {
    const bot = this.bots.get(token);
    if (!bot) throw new Error(`fake-telegram: unknown token`);
    bot.revoked = true;
    bot.poll?.terminate(new ApiError(401, "Unauthorized"));
  }

  /** The bot's own user (`getMe`). */
  botUser(token = this.token): User {
    return { ...this.botRecord(token).user };
  }

  /** A usable bot, or undefined for an unknown or revoked token. */
  activeBot(token: string): BotRecord | undefined {
    const bot = this.bots.get(token);
    return bot && !bot.revoked ? bot : undefined;
  }

  protected botRecord(token: string): BotRecord {
    const bot = this.bots.get(token);
    if (!bot) throw new Error(`fake-telegram: unknown token`);
    return bot;
  }

  /** Commands set with setMyCommands for one scope/language (default scope, no language). */
  commands(options: { languageCode?: string; scope?: Record<string, unknown>; token?: string } = {}): BotCommand[] {
    const bot = this.botRecord(options.token ?? this.token);
    return [...(bot.commands.get(commandKey(options.scope, options.languageCode)) ?? [])];
  }

  // ---------------------------------------------------------------- users and chats

  /** A user with a private chat (chat id = user id) in which they have started the bots. */
  createUser(options: { id?: number; firstName?: string; lastName?: string; username?: string; languageCode?: string } = {}): User {
    const id = options.id ?? this.nextUserId++;
    const user: User = {
      id, is_bot: false, first_name: options.firstName ?? `User ${id}`,
      ...(options.lastName ? { last_name: options.lastName } : {}),
      ...(options.username ? { username: options.username } : {}),
      ...(options.languageCode ? { language_code: options.languageCode } : {}),
    };
    this.users.set(id, { user, blocked: false });
    const chat: Chat = { id, type: "private", first_name: user.first_name, ...(user.username ? { username: user.username } : {}) };
    this.chats.set(id, this.newChatRecord(chat));
    this.changed();
    return { ...user };
  }

  /** The user blocks (or unblocks) the bots: sends to their private chat answer 403. */
  setUserBlockedBot(userId: number, blocked: boolean): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`fake-telegram: unknown user ${userId}`);
    user.blocked = blocked;
  }

  /**
   * A channel. The bot (`token`, default the main bot) is an administrator with `botRights`
   * (default: all rights) unless `botStatus` says otherwise.
   */
  createChannel(options: ChatOptions = {}): Chat {
    return this.createChat("channel", options);
  }

  /** A supergroup, optionally a forum with the given topic (message_thread_id) ids. */
  createGroup(options: ChatOptions & { isForum?: boolean; topics?: number[]; permissions?: Partial<ChatPermissions> } = {}): Chat {
    const chat = this.createChat("supergroup", options);
    const record = this.chatRecord(chat.id);
    if (options.isForum) record.chat.is_forum = true;
    for (const t of options.topics ?? []) record.topics.add(t);
    if (options.permissions) record.permissions = { ...DEFAULT_GROUP_PERMISSIONS, ...options.permissions };
    return { ...record.chat };
  }

  /** Sets a bot's status and rights in a chat ("absent" forgets the chat for that bot). */
  setBotMembership(chatId: number, membership: MembershipInput, token = this.token): void {
    this.setMembership(chatId, this.botRecord(token).user.id, membership);
  }

  /** Sets a user's (or bot's, by user id) status in a chat. */
  setMembership(chatId: number, userId: number, input: MembershipInput): void {
    const record = this.chatRecord(chatId);
    const { status } = input;
    if (status === "absent") record.members.delete(userId);
    else record.members.set(userId, toMembership({ ...input, status }));
    this.changed();
  }

  /** The bot API view of a member, or undefined when absent. */
  chatMember(chatId: number, userId: number): ChatMember | undefined {
    const membership = this.chatRecord(chatId).members.get(userId);
    const user = this.userById(userId);
    return membership && user ? memberJson(user, membership) : undefined;
  }

  private createChat(type: ChatType, options: ChatOptions): Chat {
    const id = options.id ?? this.nextChannelId--;
    if (this.chats.has(id)) throw new Error(`fake-telegram: chat ${id} exists`);
    const chat: Chat = {
      id, type, title: options.title ?? `Fake ${type} ${id}`,
      ...(options.username ? { username: options.username.replace(/^@/, "") } : {}),
    };
    const record = this.newChatRecord(chat);
    this.chats.set(id, record);
    const status = options.botStatus ?? "administrator";
    if (status !== "absent") {
      const rights = options.botRights ?? (status === "administrator" ? FULL_ADMIN_RIGHTS : undefined);
      record.members.set(this.botRecord(options.token ?? this.token).user.id, toMembership({ status, ...(rights ? { rights } : {}) }));
    }
    if (options.ownerId !== undefined) record.members.set(options.ownerId, toMembership({ status: "creator" }));
    this.changed();
    return { ...chat };
  }

  private newChatRecord(chat: Chat): ChatRecord {
    return {
      chat, nextMessageId: 1, members: new Map(), permissions: { ...DEFAULT_GROUP_PERMISSIONS },
      topics: new Set(), messages: new Map(), pinned: [], deleted: [], recentSends: [],
    };
  }

  protected chatRecord(chatId: number): ChatRecord {
    const record = this.chats.get(chatId);
    if (!record) throw new Error(`fake-telegram: unknown chat ${chatId}`);
    return record;
  }

  /** A known user or bot by id. */
  userById(id: number): User | undefined {
    return this.users.get(id)?.user ?? [...this.bots.values()].find((b) => b.user.id === id)?.user;
  }

  // ---------------------------------------------------------------- inspection

  /** Every message of a chat in id order (service messages included), as copies. */
  messages(chatId: number, options: { includeDeleted?: boolean } = {}): StoredMessage[] {
    const record = this.chats.get(chatId);
    if (!record) return [];
    return [...record.messages.values()]
      .filter((m) => options.includeDeleted || m.deletedAt === undefined)
      .map((m) => inspect(m, record));
  }

  /** The messages of a chat that carry a document. */
  documents(chatId: number): StoredMessage[] {
    return this.messages(chatId).filter((m) => m.document);
  }

  message(chatId: number, messageId: number): StoredMessage | undefined {
    const record = this.chats.get(chatId);
    const m = record?.messages.get(messageId);
    return record && m ? inspect(m, record) : undefined;
  }

  /** Ids actually deleted (by deleteMessage or deleteMessages), in deletion order. */
  deletedMessageIds(chatId: number): number[] {
    return [...(this.chats.get(chatId)?.deleted ?? [])];
  }

  /** The bytes of a stored file. */
  async downloadFile(fileId: string): Promise<Buffer> {
    return readFile(this.fileRecord(fileId).diskPath);
  }

  /** Where a stored file's bytes are on disk. */
  filePath(fileId: string): string {
    return this.fileRecord(fileId).diskPath;
  }

  fileRecord(fileId: string): FileRecord {
    const file = this.files.get(fileId);
    if (!file) throw new Error(`fake-telegram: unknown file_id ${fileId}`);
    return file;
  }

  // ---------------------------------------------------------------- injected updates

  /**
   * A user writes `text` to the bot (in their private chat, or `chatId`). Commands get their
   * `bot_command` entities like real clients produce. Returns the queued update.
   */
  sendUserMessage(userId: number, text: string, options: { chatId?: number; replyToMessageId?: number; token?: string } = {}): Update {
    const user = this.users.get(userId)?.user;
    if (!user) throw new Error(`fake-telegram: unknown user ${userId} (createUser first)`);
    const chat = this.chatRecord(options.chatId ?? userId);
    const replyTo = options.replyToMessageId === undefined ? undefined : chat.messages.get(options.replyToMessageId)?.message;
    const entities = commandEntities(text);
    const record = this.post(undefined, user, chat, { text, ...(entities.length ? { entities } : {}) }, replyTo ? { replyTo } : {});
    const key = chat.chat.type === "channel" ? "channel_post" : "message";
    return this.enqueueUpdate(this.botRecord(options.token ?? this.token), { [key]: structuredClone(record.message) });
  }

  /**
   * A user presses the inline button with `callbackData` under a bot's message. Returns the
   * callback_query update queued for the bot that sent the message.
   */
  pressButton(chatId: number, messageId: number, callbackData: string, options: { userId?: number } = {}): Update {
    const chat = this.chatRecord(chatId);
    const record = chat.messages.get(messageId);
    if (!record || record.deletedAt !== undefined) throw new Error(`fake-telegram: no message ${messageId} in chat ${chatId}`);
    const buttons = record.message.reply_markup?.inline_keyboard?.flat() ?? [];
    if (!buttons.some((b) => b.callback_data === callbackData)) {
      const known = buttons.map((b) => `${b.text}=${b.callback_data ?? "(no data)"}`).join(", ");
      throw new Error(`fake-telegram: message ${messageId} has no button with callback_data ${callbackData} (has: ${known || "none"})`);
    }
    const userId = options.userId ?? (chat.chat.type === "private" ? chatId : undefined);
    const from = userId === undefined ? undefined : this.users.get(userId)?.user;
    if (!from) throw new Error("fake-telegram: pressButton needs a known userId outside private chats");
    const bot = [...this.bots.values()].find((b) => b.user.id === record.sentByBot) ?? this.botRecord(this.token);
    const id = `${randomBytes(8).readBigUInt64BE() >> 1n}`;
    bot.openCallbackQueries.add(id);
    const query: CallbackQuery = {
      id, from: { ...from }, message: structuredClone(record.message),
      chat_instance: String(Math.abs(chatId * 7919) % 1e12), data: callbackData,
    };
    return this.enqueueUpdate(bot, { callback_query: query });
  }

  /** Queues any update (update_id is assigned) for a bot. */
  injectUpdate(update: Omit<Update, "update_id">, token = this.token): Update {
    return this.enqueueUpdate(this.botRecord(token), update);
  }

  /** Resolves once the bot has confirmed `update` (asked getUpdates for a later offset). */
  async updateConfirmed(update: Update, timeoutMs = 10_000, token = this.token): Promise<void> {
    const bot = this.botRecord(token);
    await this.waitFor(() => bot.confirmedUpdateId >= update.update_id, timeoutMs, `update ${update.update_id} confirmed`);
  }

  private enqueueUpdate(bot: BotRecord, body: Omit<Update, "update_id">): Update {
    const update = { update_id: bot.nextUpdateId++, ...body } as Update;
    const type = Object.keys(body)[0] ?? "";
    const allowed = bot.allowedUpdates ? bot.allowedUpdates.has(type) : !DEFAULT_EXCLUDED_UPDATES.has(type);
    // Like Telegram, updates of types the bot did not ask for are never queued.
    if (allowed) bot.pending.push(update);
    bot.poll?.wake();
    this.changed();
    return structuredClone(update);
  }

  // ---------------------------------------------------------------- waiting

  /** Resolves with the predicate's first truthy value, re-checked after every change. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined | null | false;
        try {
          value = predicate();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (value) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake-telegram: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.off("change", check);
      };
      this.on("change", check);
      check();
    });
  }

  /** The next message a bot sends into `chatId` with an id above `after` (default: any). */
  waitForBotMessage(chatId: number, options: { after?: number; timeoutMs?: number; token?: string } = {}): Promise<StoredMessage> {
    const botId = options.token ? this.botRecord(options.token).user.id : undefined;
    return this.waitFor(
      () => this.messages(chatId).find((m) =>
        m.sent_by_bot !== undefined && (botId === undefined || m.sent_by_bot === botId) && m.message_id > (options.after ?? 0)),
      options.timeoutMs,
      `a bot message in chat ${chatId}`,
    );
  }

  /** Wakes waitFor() callers; called after every state change. */
  changed(): void {
    this.emit("change");
  }

  // ---------------------------------------------------------------- rules used by the methods

  /** The chat as the bot sees it: unknown chats and chats the bot was never in are "not found". */
  resolveChat(bot: BotRecord, chatId: number | string): ChatRecord {
    const record = typeof chatId === "string"
      ? [...this.chats.values()].find((c) => c.chat.username?.toLowerCase() === chatId.slice(1).toLowerCase())
      : this.chats.get(chatId);
    if (!record) throw badRequest("chat not found");
    if (record.chat.type !== "private" && !record.members.has(bot.user.id)) throw badRequest("chat not found");
    return record;
  }

  /** The bot may post `kind` into the chat (Telegram's wording for each refusal). */
  assertCanSend(bot: BotRecord, chat: ChatRecord, kind: "text" | "document"): void {
    if (chat.chat.type === "private") {
      if (this.users.get(chat.chat.id)?.blocked) throw forbidden("bot was blocked by the user");
      return;
    }
    const m = this.assertMember(bot, chat);
    if (m.status === "creator") return;
    if (chat.chat.type === "channel") {
      if (m.status !== "administrator" || !m.rights.can_post_messages) throw badRequest("need administrator rights in the channel chat");
      return;
    }
    if (m.status === "administrator") return;
    const permissions = m.status === "restricted" ? m.permissions : chat.permissions;
    if (kind === "text" && !permissions.can_send_messages) throw badRequest("not enough rights to send text messages to the chat");
    if (kind === "document" && !permissions.can_send_documents) throw badRequest("not enough rights to send documents to the chat");
  }

  /** The bot's membership, or 403 when it left or was kicked. */
  assertMember(bot: BotRecord, chat: ChatRecord): Membership {
    const m = chat.members.get(bot.user.id);
    const where = chat.chat.type === "channel" ? "channel chat" : chat.chat.type === "supergroup" ? "supergroup chat" : "group chat";
    if (!m || m.status === "left") throw forbidden(`bot is not a member of the ${where}`);
    if (m.status === "kicked") throw forbidden(`bot was kicked from the ${where}`);
    return m;
  }

  /** Whether Telegram lets the bot delete this message now (the 48-hour rule included). */
  canDelete(bot: BotRecord, chat: ChatRecord, record: MessageRecord): boolean {
    if (this.now() - record.message.date >= DELETE_WINDOW_SECONDS) return false;
    if (chat.chat.type === "private") return true;
    const m = chat.members.get(bot.user.id);
    if (!m || m.status === "left" || m.status === "kicked") return false;
    const own = record.sentByBot === bot.user.id;
    if (m.status === "creator") return true;
    if (chat.chat.type === "channel") return m.status === "administrator" && (m.rights.can_delete_messages || (own && m.rights.can_post_messages));
    return own || (m.status === "administrator" && (m.rights.can_delete_messages || chat.chat.type === "group"));
  }

  canEdit(bot: BotRecord, chat: ChatRecord, record: MessageRecord): boolean {
    if (record.sentByBot === bot.user.id) return true;
    const m = chat.members.get(bot.user.id);
    return chat.chat.type === "channel" && m?.status === "administrator" && m.rights.can_edit_messages;
  }

  /** Pinning: supergroups need can_pin_messages, channels can_edit_messages (Bot API docs). */
  assertCanPin(bot: BotRecord, chat: ChatRecord): void {
    if (chat.chat.type === "private") return;
    const m = this.assertMember(bot, chat);
    const allowed = m.status === "creator"
      || (chat.chat.type === "channel"
        ? m.status === "administrator" && m.rights.can_edit_messages
        : m.status === "administrator" ? m.rights.can_pin_messages : (m.status === "restricted" ? m.permissions : chat.permissions).can_pin_messages);
    if (!allowed) throw badRequest("not enough rights to manage pinned messages in the chat");
  }

  /** A live (not deleted) message, or the given 400 error. */
  liveMessage(chat: ChatRecord, messageId: number, notFound: string): MessageRecord {
    const record = chat.messages.get(messageId);
    if (!record || record.deletedAt !== undefined) throw badRequest(notFound);
    return record;
  }

  /** Validates message_thread_id against the chat's forum topics. */
  assertThread(chat: ChatRecord, threadId: number | undefined): void {
    if (threadId === undefined || threadId === 0) return;
    if (!chat.chat.is_forum || !chat.topics.has(threadId)) throw badRequest("message thread not found");
  }

  /** Counts a send against the optional per-chat flood limit; 429 with retry_after when over. */
  consumeSendSlot(chat: ChatRecord): void {
    const limit = this.options.floodLimit;
    if (!limit) return;
    const now = this.nowMs();
    const windowMs = limit.perSeconds * 1000;
    chat.recentSends = chat.recentSends.filter((t) => t > now - windowMs);
    const oldest = chat.recentSends[0];
    if (chat.recentSends.length >= limit.messages && oldest !== undefined) {
      throw tooManyRequests(Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)));
    }
    chat.recentSends.push(now);
  }

  /** Stores a new message in the chat and returns it. Callers have checked the rules. */
  post(bot: BotRecord | undefined, from: User, chat: ChatRecord, content: PostContent, options: PostOptions): MessageRecord {
    const message: Message = {
      message_id: chat.nextMessageId++,
      ...(chat.chat.type === "channel" ? { sender_chat: { ...chat.chat } } : { from: { ...from } }),
      date: this.now(),
      chat: { ...chat.chat },
      ...(options.threadId ? { message_thread_id: options.threadId, is_topic_message: true as const } : {}),
      ...(options.replyTo ? { reply_to_message: withoutReply(options.replyTo) } : {}),
      ...structuredClone(content),
      ...(options.replyMarkup?.inline_keyboard ? { reply_markup: structuredClone(options.replyMarkup) } : {}),
    };
    const record: MessageRecord = {
      message,
      sentByBot: bot?.user.id,
      disableNotification: options.disableNotification ?? false,
      protectContent: options.protectContent ?? false,
      parseMode: options.parseMode,
      sourceText: options.sourceText ?? content.text ?? content.caption,
      deletedAt: undefined,
    };
    chat.messages.set(message.message_id, record);
    this.changed();
    return record;
  }

  deleteMessage(chat: ChatRecord, record: MessageRecord): void {
    record.deletedAt = this.now();
    chat.deleted.push(record.message.message_id);
    chat.pinned = chat.pinned.filter((id) => id !== record.message.message_id);
    this.changed();
  }

  /** Moves an uploaded file into the store and returns its record. */
  async storeUpload(bot: BotRecord, upload: UploadedFile): Promise<FileRecord> {
    const n = this.nextFileNumber++;
    const ext = path.extname(upload.filename);
    const diskPath = path.join(this.options.filesDir, `file_${n}${ext}`);
    await rename(upload.path, diskPath);
    const record: FileRecord = {
      fileId: `BQACAgQAAxkDAAI${randomBytes(24).toString("base64url")}`,
      fileUniqueId: `AgAD${randomBytes(8).toString("base64url")}`,
      fileName: upload.filename || undefined,
      mimeType: mimeTypeOf(upload.filename),
      size: upload.size,
      diskPath,
      filePath: `documents/file_${n}${ext}`,
      botId: bot.user.id,
    };
    this.files.set(record.fileId, record);
    return record;
  }

  /** A document for a copied message: the same bytes in a file of its own, with its own file_id. */
  cloneDocument(document: Document): Document {
    const original = this.files.get(document.file_id);
    if (!original) return { ...document };
    const n = this.nextFileNumber++;
    const ext = path.extname(original.diskPath);
    const diskPath = path.join(this.options.filesDir, `file_${n}${ext}`);
    copyFileSync(original.diskPath, diskPath);
    const record: FileRecord = { ...original, fileId: `BQACAgQAAxkDAAI${randomBytes(24).toString("base64url")}`, diskPath, filePath: `documents/file_${n}${ext}` };
    this.files.set(record.fileId, record);
    return { ...document, file_id: record.fileId };
  }

  /** A file_id this bot may reuse, or undefined. */
  fileForBot(bot: BotRecord, fileId: string): FileRecord | undefined {
    const file = this.files.get(fileId);
    return file && file.botId === bot.user.id ? file : undefined;
  }

  fileByPath(bot: BotRecord, filePath: string): FileRecord | undefined {
    return [...this.files.values()].find((f) => f.filePath === filePath && f.botId === bot.user.id);
  }

  get downloadLimit(): number {
    return this.options.downloadLimit;
  }

  /** Removes confirmed updates and returns up to `limit` pending ones. */
  takeUpdates(bot: BotRecord, offset: number | undefined, limit: number): Update[] {
    if (offset !== undefined && offset < 0) {
      bot.pending = bot.pending.slice(offset);
    } else if (offset !== undefined && offset > 0) {
      bot.pending = bot.pending.filter((u) => u.update_id >= offset);
      bot.confirmedUpdateId = Math.max(bot.confirmedUpdateId, offset - 1);
    }
    return structuredClone(bot.pending.slice(0, limit));
  }

  /**
   * Parks a getUpdates call until an update arrives, `ms` pass or `signal` aborts. A newer
   * getUpdates call terminates it with 409 Conflict, as Telegram does (a revoked token: 401).
   */
  waitForUpdate(bot: BotRecord, ms: number, signal: AbortSignal): Promise<void> {
    bot.poll?.terminate();
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: ApiError) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        if (bot.poll === poll) bot.poll = undefined;
        if (error) reject(error);
        else resolve();
      };
      const wake = () => settle();
      const poll = {
        wake,
        terminate: (error?: ApiError) =>
          settle(error ?? new ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")),
      };
      const timer = setTimeout(wake, ms);
      signal.addEventListener("abort", wake);
      bot.poll = poll;
      this.changed();
    });
  }

  /** Whether a getUpdates call of this bot is parked waiting for updates. */
  isPolling(token = this.token): boolean {
    return this.botRecord(token).poll !== undefined;
  }

  /** Wakes every parked getUpdates (used when shutting down). */
  protected wakeAllPolls(): void {
    for (const bot of this.bots.values()) bot.poll?.wake();
  }
}

export interface ChatOptions {
  id?: number;
  title?: string;
  username?: string;
  /** Which bot gets `botStatus`/`botRights` (default the main bot). */
  token?: string;
  /** Default "administrator". */
  botStatus?: MemberStatus | "absent";
  /** For an administrator; default all rights. Rights not named are false. */
  botRights?: Partial<AdminRights>;
  ownerId?: number;
}

export function commandKey(scope: Record<string, unknown> | undefined, languageCode: string | undefined): string {
  const sorted = Object.fromEntries(Object.entries(scope ?? { type: "default" }).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify(sorted)}|${languageCode ?? ""}`;
}

function toMembership(input: MembershipInput & { status: MemberStatus }): Membership {
  return {
    status: input.status,
    rights: input.status === "creator" ? { ...FULL_ADMIN_RIGHTS, can_promote_members: true } : { ...NO_ADMIN_RIGHTS, ...input.rights },
    permissions: { can_send_messages: false, can_send_documents: false, can_pin_messages: false, ...input.permissions },
  };
}

export function memberJson(user: User, m: Membership): ChatMember {
  switch (m.status) {
    case "creator":
      return { status: "creator", user: { ...user }, is_anonymous: false };
    case "administrator":
      return { status: "administrator", user: { ...user }, can_be_edited: false, is_anonymous: false, ...m.rights };
    case "restricted":
      return { status: "restricted", user: { ...user }, is_member: true, until_date: 0, ...m.permissions };
    case "kicked":
      return { status: "kicked", user: { ...user }, until_date: 0 };
    default:
      return { status: m.status, user: { ...user } };
  }
}

function inspect(record: MessageRecord, chat: ChatRecord): StoredMessage {
  return {
    ...structuredClone(record.message),
    ...(record.sentByBot !== undefined ? { sent_by_bot: record.sentByBot } : {}),
    disable_notification: record.disableNotification,
    protect_content: record.protectContent,
    ...(record.parseMode ? { parse_mode: record.parseMode } : {}),
    ...(record.sourceText !== undefined ? { source_text: record.sourceText } : {}),
    deleted: record.deletedAt !== undefined,
    pinned: chat.pinned.includes(record.message.message_id),
  };
}

function withoutReply(message: Message): Message {
  const { reply_to_message: _, ...rest } = structuredClone(message);
  return rest;
}

/** `bot_command` entities for every /command a client would highlight. */
export function commandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]+)?)/g)) {
    const offset = (m.index ?? 0) + (m[1]?.length ?? 0);
    entities.push({ type: "bot_command", offset, length: m[2]!.length });
  }
  return entities;
}

const MIME_TYPES: Record<string, string> = {
  ".json": "application/json", ".txt": "text/plain", ".gz": "application/gzip", ".zst": "application/zstd",
  ".sql": "application/sql", ".tar": "application/x-tar", ".zip": "application/zip", ".yaml": "application/x-yaml",
};

function mimeTypeOf(filename: string): string {
  return MIME_TYPES[path.extname(filename).toLowerCase()] ?? "application/octet-stream";
}
