import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/main/log/index.ts'
import { Store } from '../../../src/main/store/index.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'pw-store-'))

describe('store', () => {
  it('runs versioned migrations once per namespace and survives reopening', () => {
    const dir = tmp()
    const s = new Store(dir, silentLogger())
    s.migrate('things', ['CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)', 'ALTER TABLE things ADD COLUMN size INTEGER'])
    s.prepare('INSERT INTO things(name, size) VALUES (?, ?)').run('a', 1)
    expect(s.version('things')).toBe(2)
    s.close()
    const again = new Store(dir, silentLogger())
    again.migrate('things', ['CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)', 'ALTER TABLE things ADD COLUMN size INTEGER', 'CREATE INDEX things_name ON things(name)'])
    expect(again.version('things')).toBe(3)
    expect(again.prepare('SELECT name, size FROM things').all()).toEqual([{ name: 'a', size: 1 }])
    expect((again.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal')
    again.close()
  })

  it('rolls back a failed migration step', () => {
    const s = new Store(':memory:', silentLogger())
    expect(() => s.migrate('x', ['CREATE TABLE x (a INTEGER)', 'THIS IS NOT SQL'])).toThrow()
    expect(s.version('x')).toBe(1)
    s.close()
  })

  it('moves a corrupt database aside and starts fresh', () => {
    const dir = tmp()
    writeFileSync(join(dir, 'pitwall.db'), Buffer.alloc(8192, 0x5a))
    const lines: string[] = []
    const log = { error: (_o: unknown, msg: string) => lines.push(msg) } as unknown as ReturnType<typeof silentLogger>
    const s = new Store(dir, log)
    expect(s.startup).toBe('recovered')
    expect(s.quarantined && existsSync(s.quarantined)).toBe(true)
    expect(lines[0]).toMatch(/DATABASE WAS CORRUPT/)
    s.setSetting('k', { v: 1 })
    expect(s.getSetting('k')).toEqual({ v: 1 })
    s.close()
    expect(readdirSync(dir).some((f) => f.startsWith('pitwall.db.corrupt-'))).toBe(true)
  })
})
