import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { Logger } from '../log/index.ts'

/** One migration step: SQL text, or a function for steps that need code. */
export type Migration = string | ((db: DatabaseSync) => void)

export type StoreStartup = 'normal' | 'recovered' | 'memory'

/**
 * The app database (node:sqlite, WAL). Each room owns a namespace of versioned migrations,
 * so rooms evolve their tables independently. A file that is not a healthy SQLite database
 * is moved aside (kept, renamed) and a fresh one is created.
 */
export class Store {
  readonly db: DatabaseSync
  readonly path: string
  readonly startup: StoreStartup
  /** Where a corrupt file was moved, when that happened at startup. */
  readonly quarantined?: string
  #statements = new Map<string, StatementSync>()
  #closed = false

  constructor(dataDir: string | ':memory:', log: Logger) {
    if (dataDir === ':memory:') {
      this.path = ':memory:'
      this.db = new DatabaseSync(':memory:')
      this.startup = 'memory'
    } else {
      mkdirSync(dataDir, { recursive: true })
      this.path = join(dataDir, 'pitwall.db')
      const opened = openHealthy(this.path)
      if (opened) {
        this.db = opened
        this.startup = 'normal'
      } else {
        this.quarantined = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
        for (const suffix of ['', '-wal', '-shm']) {
          if (existsSync(this.path + suffix)) renameSync(this.path + suffix, this.quarantined + suffix)
        }
        log.error({ area: 'store', quarantined: this.quarantined }, `DATABASE WAS CORRUPT: moved to ${this.quarantined}; starting with a fresh database`)
        this.db = new DatabaseSync(this.path)
        this.startup = 'recovered'
      }
    }
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 2000;')
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_versions (namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)')
  }

  /** Runs the namespace's migrations that have not run yet, each in its own transaction. */
  migrate(namespace: string, steps: Migration[]): void {
    const row = this.prepare('SELECT version FROM schema_versions WHERE namespace = ?').get(namespace) as { version: number } | undefined
    for (let v = row?.version ?? 0; v < steps.length; v++) {
      this.transaction(() => {
        const step = steps[v]!
        if (typeof step === 'string') this.db.exec(step)
        else step(this.db)
        this.prepare('INSERT INTO schema_versions(namespace, version) VALUES (?, ?) ON CONFLICT(namespace) DO UPDATE SET version = excluded.version').run(namespace, v + 1)
      })
    }
  }

  version(namespace: string): number {
    const row = this.prepare('SELECT version FROM schema_versions WHERE namespace = ?').get(namespace) as { version: number } | undefined
    return row?.version ?? 0
  }

  /** Cached prepared statement. */
  prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql)
    if (!st) {
      st = this.db.prepare(sql)
      this.#statements.set(sql, st)
    }
    return st
  }

  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** Small key/value settings table shared by rooms (JSON values). */
  getSetting<T>(key: string): T | undefined {
    this.#ensureSettings()
    const row = this.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined
    return row ? (JSON.parse(row.value) as T) : undefined
  }

  setSetting(key: string, value: unknown): void {
    this.#ensureSettings()
    this.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value))
  }

  #settingsReady = false
  #ensureSettings(): void {
    if (this.#settingsReady) return
    this.migrate('settings', ['CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)'])
    this.#settingsReady = true
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Checkpoints the WAL into the main file and closes. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#statements.clear()
    try {
      if (this.path !== ':memory:') this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } finally {
      this.db.close()
    }
  }
}

function openHealthy(path: string): DatabaseSync | undefined {
  let db: DatabaseSync | undefined
  try {
    db = new DatabaseSync(path)
    const row = db.prepare('PRAGMA quick_check').get() as Record<string, unknown> | undefined
    if (row && Object.values(row)[0] !== 'ok') throw new Error('quick_check failed')
    return db
  } catch {
    try {
      db?.close()
    } catch {
      /* already unusable */
    }
    return undefined
  }
}
