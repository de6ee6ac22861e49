import type { Api, Transformer } from "grammy";
import { botApiRetryOptions, DEFAULT_RETRY_POLICY } from "../shared/retry-policy.js";
import { lazyRequire } from "../lazy.js";
import { fetchConfigFor } from "./proxy.js";

const grammy = () => lazyRequire("grammy") as typeof import("grammy");

/** The cloud Bot API's file limits; a self-hosted Bot API server lifts them. */
export const CLOUD_UPLOAD_LIMIT = 50 * 1024 * 1024;
export const CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024;
export const SELF_HOSTED_UPLOAD_LIMIT = 2000 * 1024 * 1024;

export interface TelegramLimits {
  upload: number;
  /** Infinity when the server lifts the download limit. */
  download: number;
}

export function limitsFor(selfHosted: boolean): TelegramLimits {
  return selfHosted ? { upload: SELF_HOSTED_UPLOAD_LIMIT, download: Infinity } : { upload: CLOUD_UPLOAD_LIMIT, download: CLOUD_DOWNLOAD_LIMIT };
}

export interface ApiOptions {
  apiRoot: string;
  /** Aborts a request (e.g. a stalled upload) after this long; the caller retries it. */
  timeoutSeconds?: number;
  /** Methods the caller retries as a whole (uploads, re-reading the part); this client sends them once. */
  callerRetries?: ReadonlySet<string>;
  /** `TELEGRAM_PROXY`: every request of this client goes through it (src/telegram/proxy.ts). */
  proxy?: string;
}

/**
 * A Bot API client that honours 429 `retry_after` and retries 5xx with backoff, as the one
 * retry policy says (src/shared/retry-policy.ts). Network errors (HttpError) are rethrown:
 * the caller decides whether to retry, re-reading the part from disk. Methods in
 * `callerRetries` are not retried here at all, so retries never nest.
 */
export function createTelegramApi(token: string, options: ApiOptions): Api {
  const { Api } = grammy();
  const baseFetchConfig = fetchConfigFor(options.proxy);
  const api = new Api(token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 300, ...(baseFetchConfig ? { baseFetchConfig } : {}) });
  api.config.use(botApiRetry(options.callerRetries));
  return api;
}

/** The policy's auto-retry transformer, passing `callerRetries` methods through untouched. */
export function botApiRetry(callerRetries: ReadonlySet<string> = new Set()): Transformer {
  const { autoRetry } = lazyRequire("@grammyjs/auto-retry") as typeof import("@grammyjs/auto-retry");
  const retry = autoRetry(botApiRetryOptions(DEFAULT_RETRY_POLICY));
  return ((prev, method, payload, signal) => (callerRetries.has(method) ? prev(method, payload, signal) : retry(prev, method, payload, signal))) as Transformer;
}

export type TelegramFailure =
  | "chat-not-found"
  | "not-member"
  | "no-rights"
  | "unauthorized"
  | "too-large"
  | "flood"
  | "server"
  | "network"
  | "other";

/** Sorts a Bot API failure into what the user can do about it. */
export function classify(err: unknown): { kind: TelegramFailure; permanent: boolean; detail: string } {
  const { GrammyError, HttpError } = grammy();
  if (err instanceof GrammyError) {
    const d = err.description;
    const low = d.toLowerCase();
    if (err.error_code === 401 || err.error_code === 404) return { kind: "unauthorized", permanent: true, detail: d };
    if (low.includes("chat not found")) return { kind: "chat-not-found", permanent: true, detail: d };
    if (low.includes("not a member") || low.includes("bot was kicked") || low.includes("bot is not a member") || low.includes("have no rights to send a message") && err.error_code === 403)
      return { kind: "not-member", permanent: true, detail: d };
    if (low.includes("not enough rights") || low.includes("need administrator rights") || low.includes("chat_write_forbidden") || err.error_code === 403)
      return { kind: "no-rights", permanent: true, detail: d };
    if (err.error_code === 413 || low.includes("too big") || low.includes("too large")) return { kind: "too-large", permanent: true, detail: d };
    if (err.error_code === 429) return { kind: "flood", permanent: false, detail: d };
    if (err.error_code >= 500) return { kind: "server", permanent: false, detail: d };
    return { kind: "other", permanent: true, detail: d };
  }
  if (err instanceof HttpError) return { kind: "network", permanent: false, detail: err.message };
  return { kind: "other", permanent: false, detail: (err as Error)?.message ?? String(err) };
}

/** grammY types its signals with the `abort-controller` polyfill; the platform's AbortSignal is what it gets at run time. */
export type ApiSignal = Parameters<Api["getMe"]>[0];
export const apiSignal = (signal?: AbortSignal): ApiSignal => signal as unknown as ApiSignal;
