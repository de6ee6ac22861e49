import pino, { type Logger } from "pino";

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  "password", "*.password", "passphrase", "*.passphrase", "token", "*.token", "botToken", "*.botToken",
  "masterKey", "*.masterKey", "env.PGPASSWORD", "env.MYSQL_PWD", "*.env.PGPASSWORD", "*.env.MYSQL_PWD",
];

/** A Telegram bot token, as it appears inside Bot API URLs (`…/bot123456:AAE…/sendDocument`). */
const BOT_TOKEN_PATTERN = /\d{5,}:[A-Za-z0-9_-]{30,}/g;

/** Removes bot tokens from any text: network errors quote the Bot API URL, token included. */
export function scrubTokens(text: string): string {
  return text.replace(BOT_TOKEN_PATTERN, "[redacted]");
}

/**
 * Errors are logged as name, message, code and stack only — never their other own properties,
 * which for HTTP clients hold request URLs and payloads — with bot tokens removed.
 */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === "string" ? scrubTokens(err) : err;
  const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : undefined;
  const nested = (err as { error?: unknown }).error;
  const inner = nested instanceof Error ? nested.message : undefined;
  return {
    type: err.name,
    message: scrubTokens(err.message),
    ...((err as NodeJS.ErrnoException).code ? { code: (err as NodeJS.ErrnoException).code } : {}),
    ...(cause ? { cause: scrubTokens(cause) } : {}),
    ...(inner ? { error: scrubTokens(inner) } : {}),
    stack: scrubTokens(err.stack ?? ""),
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, serializers: { err: serializeError }, base: undefined },
    destination ?? pino.destination(2),
  );
}

export type { Logger };
