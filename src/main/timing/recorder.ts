import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

const MAX_FILE_BYTES = 512 * 1024 * 1024

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

/**
 * Records a followed session into the data dir so it can be replayed with `replay:FILE`:
 * RMonitor feeds as `##timestamp` capture text (the format of the RedMist captures), RedMist feeds as
 * JSON lines of {t, kind, data}. Stops (and says so) at MAX_FILE_BYTES instead of filling the disk.
 */
export class Recorder {
  readonly dir: string
  #stream: WriteStream | null = null
  #bytes = 0
  file: string | null = null
  full = false

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'recordings')
  }

  open(kind: string, ext: 'txt' | 'jsonl'): string {
    this.close()
    mkdirSync(this.dir, { recursive: true })
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${kind.replace(/[^a-z0-9_-]/gi, '_')}.${ext}`
    this.file = join(this.dir, name)
    this.#stream = createWriteStream(this.file, { flags: 'a' })
    this.#stream.on('error', () => this.close())
    this.#bytes = 0
    this.full = false
    return this.file
  }

  lines(lines: readonly string[], atMs: number): void {
    this.#write(`##${stamp(atMs)}\r\n${lines.join('\r\n')}\r\n\r\n`)
  }

  json(kind: string, data: unknown, atMs = Date.now()): void {
    this.#write(JSON.stringify({ t: atMs, kind, data }) + '\n')
  }

  #write(text: string): void {
    if (!this.#stream || this.full) return
    this.#bytes += text.length
    if (this.#bytes > MAX_FILE_BYTES) {
      this.full = true
      return
    }
    this.#stream.write(text)
  }

  close(): void {
    this.#stream?.end()
    this.#stream = null
  }

  async list(): Promise<Array<{ file: string; bytes: number; modified: string }>> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return []
    }
    const out = []
    for (const n of names) {
      const st = await stat(join(this.dir, n)).catch(() => null)
      if (st?.isFile()) out.push({ file: join(this.dir, n), bytes: st.size, modified: st.mtime.toISOString() })
    }
    return out.sort((a, b) => (a.modified < b.modified ? 1 : -1))
  }
}
