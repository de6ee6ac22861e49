import pino, { type Logger } from "pino";

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  "password", "*.password", "passphrase", "*.passphrase", "token", "*.token", "botToken", "*.botToken",
  "masterKey", "*.masterKey", "env.PGPASSWORD", "env.MYSQL_PWD", "*.env.PGPASSWORD", "*.env.MYSQL_PWD",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: undefined }, destination ?? pino.destination(2));
}

export type { Logger };
