/** A pass-through stage that reports how many bytes went by. */
export function counter(onBytes: (total: number) => void) {
  return async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let total = 0;
    for await (const chunk of source) {
      total += chunk.length;
      onBytes(total);
      yield chunk;
    }
  };
}
