import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'

export type { Logger } from 'pino'

export interface LogLine {
  seq: number
  time: number
  level: string
  area: string
  msg: string
}

type LineListener = (line: LogLine) => void

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

/** Size-rotated log file: pitwall.log, pitwall.1.log … pitwall.N.log. Writes are synchronous so nothing is lost at exit. */
export class RotatingFile {
  #fd: number
  #size: number
  readonly path: string
  readonly maxBytes: number
  readonly keep: number
  constructor(dir: string, maxBytes = 5 * 1024 * 1024, keep = 5) {
    this.maxBytes = maxBytes
    this.keep = keep
    mkdirSync(dir, { recursive: true })
    this.path = join(dir, 'pitwall.log')
    this.#fd = openSync(this.path, 'a')
    this.#size = statSync(this.path).size
  }
  write(chunk: string): void {
    if (this.#fd < 0) return
    if (this.#size + chunk.length > this.maxBytes) this.#rotate()
    this.#size += writeSync(this.#fd, chunk)
  }
  #rotate(): void {
    closeSync(this.#fd)
    const name = (i: number) => this.path.replace(/\.log$/, `.${i}.log`)
    rmSync(name(this.keep), { force: true })
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(name(i), name(i + 1))
      } catch {
        /* missing generation */
      }
    }
    renameSync(this.path, name(1))
    this.#fd = openSync(this.path, 'a')
    this.#size = 0
  }
  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd)
    this.#fd = -1
  }
}

/** Keeps the recent lines for the Logs page and tells live listeners. */
export class LogRing {
  #lines: LogLine[] = []
  #seq = 0
  #listeners = new Set<LineListener>()
  readonly capacity: number
  constructor(capacity = 1000) {
    this.capacity = capacity
  }
  write(chunk: string): void {
    let rec: { level?: number; time?: number; area?: string; msg?: string; err?: { message?: string } }
    try {
      rec = JSON.parse(chunk)
    } catch {
      return
    }
    const line: LogLine = {
      seq: ++this.#seq,
      time: rec.time ?? Date.now(),
      level: LEVELS[rec.level ?? 30] ?? 'info',
      area: rec.area ?? 'core',
      msg: rec.msg ?? rec.err?.message ?? '',
    }
    this.#lines.push(line)
    if (this.#lines.length > this.capacity) this.#lines.splice(0, this.#lines.length - this.capacity)
    for (const l of this.#listeners) l(line)
  }
  recent(limit = this.capacity): LogLine[] {
    return this.#lines.slice(-limit)
  }
  subscribe(listener: LineListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

export interface LogSetup {
  log: Logger
  ring: LogRing
  file?: RotatingFile
  close(): void
}

/** Never logged: anything that could carry a secret. */
const REDACT = ['password', '*.password', 'token', '*.token', 'tokenSecret', '*.tokenSecret', 'adminPassword', 'authorization', '*.authorization']

export function createLogging(opts: { level: string; dir?: string; console?: boolean }): LogSetup {
  const ring = new LogRing()
  const file = opts.dir ? new RotatingFile(opts.dir) : undefined
  const sink = {
    write(chunk: string) {
      file?.write(chunk)
      ring.write(chunk)
      if (opts.console) process.stdout.write(humanLine(chunk))
    },
  }
  const log = pino({ level: opts.level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined }, sink)
  return { log, ring, file, close: () => file?.close() }
}

const HUMAN_SKIP = new Set(['level', 'time', 'area', 'msg', 'pid', 'hostname', 'err'])

/** A console line a person reads: `12:00:01 INFO  [lan] LAN server listening on …` (the file keeps JSON). */
export function humanLine(chunk: string): string {
  try {
    const rec = JSON.parse(chunk) as Record<string, unknown> & { level?: number; time?: number; area?: string; msg?: string; err?: { message?: string } }
    const { level, time, area, msg, err } = rec
    const t = new Date(time ?? Date.now()).toTimeString().slice(0, 8)
    const lvl = (LEVELS[level ?? 30] ?? 'info').toUpperCase().padEnd(5)
    // Simple fields (path, link, detail…) follow the message, so a line stands on its own.
    const extra = Object.entries(rec)
      .filter(([k, v]) => !HUMAN_SKIP.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
      .slice(0, 200)
    return `${t} ${lvl} [${area ?? 'core'}] ${msg ?? ''}${extra ? ` (${extra})` : ''}${err?.message && err.message !== msg ? ` — ${err.message}` : ''}\n`
  } catch {
    return chunk
  }
}

/** A silent logger for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
