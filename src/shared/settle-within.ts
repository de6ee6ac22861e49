/**
 * Waits for `p` at most `ms`: "done" once it fulfilled, "pending" when the time ran out first
 * (it rejects when `p` does). The timer never keeps the process alive.
 */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<"done" | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p.then(() => "done" as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
