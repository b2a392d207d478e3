// DataSerializerType.JsonGZip: `data` is a byte array holding gzip-compressed UTF-8 JSON.
// CompressionStream exists in browsers and in Node ≥ 18, so this stays browser-safe.

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array> {
  const out = new Blob([bytes as unknown as ArrayBuffer]).stream().pipeThrough(stream as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
  const reader = out.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > limit) {
      await reader.cancel()
      throw new Error(`JsonGZip data inflates beyond ${limit} bytes`)
    }
    chunks.push(value)
  }
  const all = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.length
  }
  return all
}

export async function gzipJson(value: unknown): Promise<Uint8Array> {
  return pipe(new TextEncoder().encode(JSON.stringify(value ?? null)), new CompressionStream('gzip'), Number.MAX_SAFE_INTEGER)
}

/** Inflates and parses; `limit` bounds the inflated size (a zip bomb is an error, not an OOM). */
export async function gunzipJson(bytes: Uint8Array, limit: number): Promise<unknown> {
  const raw = await pipe(bytes, new DecompressionStream('gzip'), limit)
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
}
