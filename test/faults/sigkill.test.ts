import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'

const BIN = new URL('../../bin/pitwall.js', import.meta.url).pathname
const env = { ...process.env, PITWALL_TIMING__SOURCE: 'none', PITWALL_LOG_TO_CONSOLE: 'false', PITWALL_ADMIN_PASSWORD: 'kill-test-admin' }

function start(dataDir: string): Promise<{ url: string; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { env })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = out.match(/Web UI: (http:\/\/\S+)/)
      if (m) resolve({ url: m[1]!, kill: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGKILL'))) })
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
  })
}

describe('fault: SIGKILL while settings are being written', () => {
  it('keeps every acknowledged write and an intact database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-kill-'))
    const a = await start(dir)
    const login = await fetch(`${a.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'kill-test-admin' }) })
    const { token } = (await login.json()) as { token: string }
    const acknowledged: string[] = []
    let stop = false
    const writer = async (w: number) => {
      for (let i = 0; !stop && i < 500; i++) {
        const username = `user${w}_${i}`
        try {
          const r = await fetch(`${a.url}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'password-123', role: 'viewer' }) })
          if (r.status === 201) acknowledged.push(username)
        } catch {
          return // the server is gone
        }
      }
    }
    const writers = [1, 2, 3, 4].map(writer)
    while (acknowledged.length < 20) await new Promise((r) => setTimeout(r, 10))
    await a.kill() // mid-write, no shutdown
    stop = true
    await Promise.all(writers)

    const db = new DatabaseSync(join(dir, 'pitwall.db'))
    expect((db.prepare('PRAGMA integrity_check').get() as Record<string, string>).integrity_check).toBe('ok')
    db.close()

    const b = await start(dir)
    const login2 = await fetch(`${b.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'kill-test-admin' }) })
    const { token: t2 } = (await login2.json()) as { token: string }
    const { users } = (await (await fetch(`${b.url}/api/users`, { headers: { authorization: `Bearer ${t2}` } })).json()) as { users: { username: string }[] }
    const present = new Set(users.map((u) => u.username))
    expect(acknowledged.filter((u) => !present.has(u))).toEqual([])
    expect((await fetch(`${b.url}/api/status`)).status).toBe(200)
    // The old token survives the crash too (sessions are stored).
    expect((await fetch(`${b.url}/api/users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    await b.kill()
  })
})
