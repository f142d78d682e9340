/** Passes on the values of `source` that `keep` accepts; ends when the source ends. */
export async function* filterAsync<T>(source: AsyncIterable<T>, keep: (v: T) => boolean): AsyncGenerator<T> {
  for await (const v of source) if (keep(v)) yield v;
}
