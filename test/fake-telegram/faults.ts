/**
 * Deterministic fault injection: faults are queued per Bot API method (case-insensitive;
 * "download" for file downloads, "*" for whatever request comes next) and each one is used
 * up by exactly one request.
 */
export type Fault =
  /** 429 "Too Many Requests: retry after N" with parameters.retry_after = N. */
  | { kind: "429"; retryAfter: number }
  /** 500 "Internal Server Error". */
  | { kind: "500" }
  /** Any Bot API error reply, e.g. { code: 502, description: "Bad Gateway" }. */
  | { kind: "error"; code: number; description: string; retryAfter?: number }
  /**
   * The connection is destroyed while the request body is arriving: after `afterBytes`
   * bytes (default 64 KiB for multipart uploads, the whole body otherwise), or half-way
   * through the bytes of a download. Nothing is stored.
   */
  | { kind: "drop"; afterBytes?: number }
  /**
   * The reply is held for `ms`, then the call runs normally unless the client gave up. For a
   * download with `afterBytes`, those bytes are sent first and the rest is held (a stall mid-body).
   */
  | { kind: "stall"; ms: number; afterBytes?: number }
  /** A download whose bytes arrive complete but with one byte flipped (a copy that reads back wrong). */
  | { kind: "corrupt" }
  /** No fault: the request runs normally (aims the faults queued after it at a later request). */
  | { kind: "pass" }
  /**
   * The call runs (a message IS stored) but the connection is destroyed instead of replying:
   * the client cannot know its request succeeded.
   */
  | { kind: "drop-response" };

export class FaultQueue {
  private readonly queues = new Map<string, Fault[]>();

  add(method: string, fault: Fault, count = 1): void {
    const key = method.toLowerCase();
    const queue = this.queues.get(key) ?? [];
    for (let i = 0; i < count; i++) queue.push(fault);
    this.queues.set(key, queue);
  }

  /** The next fault for this method (method-specific faults before "*" ones). */
  take(method: string): Fault | undefined {
    return this.queues.get(method.toLowerCase())?.shift() ?? this.queues.get("*")?.shift();
  }

  pending(method?: string): number {
    if (method !== undefined) return this.queues.get(method.toLowerCase())?.length ?? 0;
    return [...this.queues.values()].reduce((n, q) => n + q.length, 0);
  }

  clear(): void {
    this.queues.clear();
  }
}
