/**
 * A Bot API error reply. The HTTP status equals `code`, like the real server does, and the
 * body is `{ ok: false, error_code, description, parameters? }`.
 */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(`${code}: ${description}`);
  }

  toJSON(): Record<string, unknown> {
    return {
      ok: false,
      error_code: this.code,
      description: this.description,
      ...(this.parameters ? { parameters: this.parameters } : {}),
    };
  }
}

export const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);
export const forbidden = (what: string) => new ApiError(403, `Forbidden: ${what}`);
export const unauthorized = () => new ApiError(401, "Unauthorized");
export const notFound = () => new ApiError(404, "Not Found");
export const tooLarge = () => new ApiError(413, "Request Entity Too Large");
export const internalError = () => new ApiError(500, "Internal Server Error");
export const tooManyRequests = (retryAfter: number) =>
  new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
