/** Something shown every chunk that goes by, and told when the stream ended (not when it failed). */
export interface Watcher {
  chunk(bytes: Uint8Array): void;
  end?(): void;
}

/**
 * One pass-through stage for any number of watchers. A stage costs its own work on every chunk
 * (a dump arrives in 8 KiB chunks), so watchers share one instead of each being a stage.
 */
export function watching(watchers: Watcher[]) {
  return async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      for (const w of watchers) w.chunk(chunk);
      yield chunk;
    }
    for (const w of watchers) w.end?.();
  };
}

/** Reports how many bytes went by. */
export function byteCounter(onBytes: (total: number) => void): Watcher {
  let total = 0;
  return {
    chunk(bytes) {
      total += bytes.length;
      onBytes(total);
    },
  };
}
