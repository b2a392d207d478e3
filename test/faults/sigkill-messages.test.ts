// SIGKILL while messages are being written: every broadcast that was acknowledged (Ack = stored in the
// topic's history) and every direct message that was acknowledged as queued (Error 404 queued:true) is
// there after a restart — history readable, queued DMs delivered in order — and the database is intact.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

const BIN = new URL('../../bin/pitwall.js', import.meta.url).pathname
const env = { ...process.env, PITWALL_TIMING__SOURCE: 'none', PITWALL_LOG_TO_CONSOLE: 'false', PITWALL_ADMIN_PASSWORD: 'kill-test-admin' }
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

function start(dataDir: string): Promise<{ url: string; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { env })
  children.push(child)
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

async function login(url: string, username: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  return ((await r.json()) as { token: string }).token
}

/** A /ws connection that resolves each request id with its Ack or Error, and keeps every frame. */
function rtc(url: string, token: string): Promise<{ ws: WebSocket; frames: any[]; request(m: { id: string; [k: string]: unknown }): Promise<any> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${token}`)
    const frames: any[] = []
    const waiting = new Map<string, (m: any) => void>()
    ws.on('message', (d) => {
      const m = JSON.parse(String(d))
      frames.push(m)
      const id = m.data?.message_id ?? m.data?.details?.message_id ?? m.id
      if ((m.type === 'Ack' || m.type === 'Error' || m.type === 'History') && waiting.has(String(id))) {
        waiting.get(String(id))!(m)
        waiting.delete(String(id))
      }
    })
    ws.on('close', () => {
      for (const w of waiting.values()) w({ type: 'closed' })
      waiting.clear()
    })
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        request: (m) =>
          new Promise((res) => {
            if (ws.readyState !== ws.OPEN) return res({ type: 'closed' })
            waiting.set(m.id, res)
            ws.send(JSON.stringify(m))
          }),
      }),
    )
    ws.once('error', reject)
  })
}

const TARGETS = ['carol1', 'carol2', 'carol3', 'carol4']

describe('fault: SIGKILL while messages are being written', () => {
  it('keeps every acknowledged broadcast and queued direct message, and an intact database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-kill-msg-'))
    const a = await start(dir)
    const admin = await login(a.url, 'admin', 'kill-test-admin')
    for (const u of TARGETS) {
      const r = await fetch(`${a.url}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: `password-${u}`, role: 'viewer' }) })
      expect(r.status).toBe(201)
    }
    const acked = new Map<string, string[]>() // topic → payloads, in ack order
    const queued = new Map<string, string[]>() // target → payloads, in ack order
    let stop = false
    // Four writers: each broadcasts on its own topic and sends direct messages to its own offline user.
    const writer = async (w: number) => {
      const c = await rtc(a.url, admin)
      const topic = `kill.w${w}`
      acked.set(topic, [])
      queued.set(TARGETS[w]!, [])
      for (let i = 0; !stop && i < 400; i++) {
        const payload = `w${w}-${i}`
        if (i % 3 === 2 && queued.get(TARGETS[w]!)!.length < 90) {
          const r = await c.request({ type: 'DirectMessage', data: { target_user: TARGETS[w], payload }, id: `d${w}-${i}` })
          if (r.type === 'closed') return
          if (r.type === 'Error' && r.data.details?.queued === true) queued.get(TARGETS[w]!)!.push(payload)
        } else {
          const r = await c.request({ type: 'Broadcast', data: { topic, payload }, id: `b${w}-${i}` })
          if (r.type === 'closed') return
          if (r.type === 'Ack') acked.get(topic)!.push(payload)
        }
      }
    }
    const writers = [0, 1, 2, 3].map(writer)
    const total = () => [...acked.values(), ...queued.values()].reduce((n, l) => n + l.length, 0)
    while (total() < 120) await new Promise((r) => setTimeout(r, 5))
    await a.kill() // mid-write: no shutdown, no flush
    stop = true
    await Promise.all(writers)
    expect([...queued.values()].every((l) => l.length > 0)).toBe(true)

    const db = new DatabaseSync(join(dir, 'pitwall.db'))
    expect((db.prepare('PRAGMA integrity_check').get() as Record<string, string>).integrity_check).toBe('ok')
    db.close()

    const b = await start(dir)
    const admin2 = await login(b.url, 'admin', 'kill-test-admin')
    const reader = await rtc(b.url, admin2)
    for (const [topic, payloads] of acked) {
      const h = await reader.request({ type: 'History', data: { topic, limit: 1000 }, id: `h-${topic}` })
      const stored = (h.data.publications as Array<{ payload: string }>).map((p) => p.payload)
      // Every acknowledged one is there, in order (an unacknowledged last one may be there too).
      expect(stored.slice(0, payloads.length)).toEqual(payloads)
    }
    // Each offline user gets their queued messages, in order, on connecting.
    for (const [target, payloads] of queued) {
      const t = await login(b.url, target, `password-${target}`)
      const c = await rtc(b.url, t)
      const end = Date.now() + 5000
      const got = () => c.frames.filter((f) => f.type === 'DirectMessage').map((f) => f.data?.payload)
      while (got().length < payloads.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
      expect(got().slice(0, payloads.length)).toEqual(payloads)
      c.ws.close()
    }
    reader.ws.close()
    await b.kill()
  }, 60_000)
})
