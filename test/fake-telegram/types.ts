/**
 * The Bot API object shapes the fake produces, as plain JSON types (a subset of
 * https://core.telegram.org/bots/api#available-types, same field names).
 */

export interface User {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export type ChatType = "private" | "group" | "supergroup" | "channel";

export interface Chat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum?: true;
}

export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

export interface Document {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}

export interface InlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
  [other: string]: unknown;
}

export interface ReplyMarkup {
  inline_keyboard?: InlineKeyboardButton[][];
  [other: string]: unknown;
}

export interface Message {
  message_id: number;
  message_thread_id?: number;
  from?: User;
  sender_chat?: Chat;
  date: number;
  chat: Chat;
  is_topic_message?: true;
  reply_to_message?: Message;
  edit_date?: number;
  text?: string;
  entities?: MessageEntity[];
  caption?: string;
  caption_entities?: MessageEntity[];
  document?: Document;
  reply_markup?: ReplyMarkup;
  pinned_message?: Message;
  forward_origin?: Record<string, unknown>;
}

export interface CallbackQuery {
  id: string;
  from: User;
  message: Message;
  chat_instance: string;
  data: string;
}

export interface Update {
  update_id: number;
  message?: Message;
  channel_post?: Message;
  callback_query?: CallbackQuery;
  [other: string]: unknown;
}

export interface BotCommand {
  command: string;
  description: string;
}

/** The administrator rights the fake checks (the rest are reported as given). */
export interface AdminRights {
  can_manage_chat: boolean;
  can_post_messages: boolean;
  can_edit_messages: boolean;
  can_delete_messages: boolean;
  can_pin_messages: boolean;
  can_manage_topics: boolean;
  can_invite_users: boolean;
  can_change_info: boolean;
  can_restrict_members: boolean;
  can_promote_members: boolean;
  can_manage_video_chats: boolean;
}

/** Member permissions in groups (subset of ChatPermissions). */
export interface ChatPermissions {
  can_send_messages: boolean;
  can_send_documents: boolean;
  can_pin_messages: boolean;
}

export type MemberStatus = "creator" | "administrator" | "member" | "restricted" | "left" | "kicked";

export interface ChatMember {
  status: MemberStatus;
  user: User;
  [rightOrPermission: string]: unknown;
}
