import * as v from "valibot";
import { chatIdSchema, oneOf, optional, sayValue, strictMapping, threadIdSchema } from "../shared/schema.js";

/**
 * The parts of a job's configuration the engine also speaks of (compression, retention, where
 * messages go): one schema each, and the domain's types derive from them (domain.ts).
 */

export const COMPRESSIONS = ["gzip", "zstd", "none"] as const;
export const compressionSchema = oneOf(COMPRESSIONS);

const count = v.pipe(
  v.number(sayValue("validation-count")),
  v.safeInteger(sayValue("validation-count")),
  v.minValue(0, sayValue("validation-count")),
);

/** How many runs to keep (see engine/retention.ts); an absent rule keeps everything. */
export const retentionSchema = strictMapping(
  { keep_last: optional(count), keep_daily: optional(count), keep_weekly: optional(count), keep_monthly: optional(count), max_age_days: optional(count) },
  { key: "validation-what-retention" },
  "validation-retention-type",
);

/** A chat (and forum topic) that receives a job's messages instead of its destination chats. */
export const chatRouteSchema = strictMapping(
  { chat_id: chatIdSchema, thread_id: optional(threadIdSchema) },
  { key: "validation-what-route" },
  "validation-route-type",
);

/** `notify: { success: { chat_id, thread_id? }, failure: { ... } }` — both optional. */
export const notifySchema = strictMapping(
  { success: optional(chatRouteSchema), failure: optional(chatRouteSchema) },
  { key: "validation-what-notify" },
  "validation-notify-type",
);
