// Auth on every write path: anonymous clients and roles without the permission are refused with each
// API's documented error, on every camera key, every UI API command, every RPC tag, messaging in both
// dialects and over HTTP, the users API, hub methods and timing writes. A permitted role succeeds, so
// each refusal is the permission check and not a broken endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { CAMERA_KEYS } from '../../src/shared/camera-keys.ts'
import { can } from '../../src/shared/auth.ts'
import { RpcClient, type RpcEngine } from '../../src/main/rpc/index.ts'
import { json, nextJson, type SecCore, startCore, uiCall, upgrade } from './helpers.ts'

let s: SecCore
beforeAll(async () => {
  s = await startCore()
})
afterAll(() => s.stop())

const open = async (path: string, token?: string): Promise<WebSocket> => {
  const r = await upgrade(`${s.ws}${path}${token ? (path.includes('?') ? '&' : '?') + 'token=' + token : ''}`)
  if (!r.ws) throw new Error(`upgrade ${path}: ${r.status}`)
  return r.ws
}
/** A valid value for a writable key (its minimum, first allowed value or true). */
function validValue(d: (typeof CAMERA_KEYS)[number]): unknown {
  if (d.key === 'record') return 'on'
  if (d.type === 'boolean' || d.key === 'snap') return true
  if (d.values) return d.values[0]
  return d.min ?? 1
}
const WRITABLE = CAMERA_KEYS.filter((d) => d.write !== null)

describe('camera v1: per key and per permission', () => {
  it.each([
    ['anonymous', undefined],
    ['viewer', 'viewer'],
  ] as const)('%s: every writable key is "Permission denied", nothing changes', async (_who, role) => {
    const ws = await open('/api/v1', role ? await s.token(role) : undefined)
    if (role) await nextJson(ws, (m) => 'authenticated' in m)
    for (const d of WRITABLE) {
      const answer = nextJson(ws, (m) => 'error' in m)
      ws.send(JSON.stringify({ [d.key]: validValue(d) }))
      expect(await answer).toMatchObject({ error: 'Permission denied', key: d.key })
    }
    // Read-only keys stay read-only for everybody.
    const ro = nextJson(ws, (m) => 'error' in m)
    ws.send(JSON.stringify({ 'cam1-exists': false }))
    expect(await ro).toMatchObject({ error: expect.stringMatching(/Read-only|Permission denied/), key: 'cam1-exists' })
    ws.terminate()
  })

  it('an operator may write every key (the refusals above are the permission check)', async () => {
    const ws = await open('/api/v1', await s.token('operator'))
    await nextJson(ws, (m) => 'authenticated' in m)
    for (const d of WRITABLE.filter((x) => x.key !== 'main-camera' && x.key !== 'record')) {
      const answer = nextJson(ws, (m) => 'info' in m || 'error' in m)
      ws.send(JSON.stringify({ [d.key]: validValue(d) }))
      expect(await answer).toMatchObject({ info: [d.key] })
    }
    ws.terminate()
  })

  it('with anonymousRead off, an anonymous get is refused per key', async () => {
    const t = await startCore({ anonymousRead: false })
    try {
      const r = await upgrade(`${t.ws}/api/v1`)
      if (r.ws) {
        const answer = nextJson(r.ws, (m) => 'error' in m)
        r.ws.send(JSON.stringify({ get: ['brightness'] }))
        expect(await answer).toMatchObject({ error: 'Permission denied', key: 'brightness' })
        r.ws.terminate()
      } else expect(r.status).toBe(401)
    } finally {
      await t.stop()
    }
  })
})

describe('UI API: every command that needs a permission', () => {
  it('refuses anonymous callers (unauthenticated) and roles without it (forbidden)', async () => {
    const commands = s.core.ctx.ui.commands().filter((c) => c.permission !== null)
    expect(commands.length).toBeGreaterThan(20)
    const anon = await open('/ui')
    await nextJson(anon, (m) => m.t === 'hello')
    const viewer = await open('/ui', await s.token('viewer'))
    await nextJson(viewer, (m) => m.t === 'hello')
    const operator = await open('/ui', await s.token('operator'))
    await nextJson(operator, (m) => m.t === 'hello')
    const checked: string[] = []
    for (const { method, permission } of commands) {
      const anonymousMay = can({ username: null, role: 'guest' }, permission!, true)
      const a = await uiCall(anon, method, {})
      if (anonymousMay) expect(a.error?.code, method).not.toBe('unauthenticated')
      else expect(a, method).toMatchObject({ t: 'error', error: { code: 'unauthenticated' } })
      for (const [ws, role] of [
        [viewer, 'viewer'],
        [operator, 'operator'],
      ] as const) {
        const r = await uiCall(ws, method, {})
        if (can({ username: 'x', role }, permission!)) expect(String(r.error?.code), `${role} ${method}`).not.toMatch(/forbidden|unauthenticated/)
        else expect(r, `${role} ${method}`).toMatchObject({ t: 'error', error: { code: 'forbidden' } })
      }
      if (permission!.endsWith('_rw')) checked.push(method)
    }
    // The write commands named by the threat model are among those checked.
    expect(checked).toEqual(expect.arrayContaining(['camera.command', 'device.setSource', 'messaging.publish', 'messaging.direct', 'timing.source.set', 'timing.controllog.add', 'runplan.add', 'users.save', 'users.delete']))
    for (const ws of [anon, viewer, operator]) ws.terminate()
  })

  it('camera.set (per-key permissions) refuses every key for a viewer', async () => {
    const ws = await open('/ui', await s.token('viewer'))
    await nextJson(ws, (m) => m.t === 'hello')
    const r = await uiCall(ws, 'camera.set', { changes: Object.fromEntries(WRITABLE.map((d) => [d.key, validValue(d)])) })
    expect(r.result.applied).toEqual({})
    expect(r.result.errors.map((e: { error: string }) => e.error)).toEqual(WRITABLE.map(() => 'Permission denied'))
    ws.terminate()
  })
})

describe('RPC tags: per permission', () => {
  it('every tag with a permission refuses anonymous (unauthenticated) and viewer where the role lacks it (forbidden)', async () => {
    const rpc = s.core.engines.find((e) => e.name === 'rpc') as RpcEngine
    const tags = [...rpc.server.tags.values()].filter((t) => t.permission !== null)
    expect(tags.length).toBeGreaterThan(5)
    const anon = new RpcClient({ url: `${s.url}/hubs/rpc`, protocol: 'json' })
    const vt = await s.token('viewer')
    const viewer = new RpcClient({ url: `${s.url}/hubs/rpc`, protocol: 'json', accessTokenFactory: () => vt })
    await anon.start()
    await viewer.start()
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? 'error')
    try {
      for (const t of tags) {
        const anonymousMay = can({ username: null, role: 'guest' }, t.permission!, true)
        const a = await code(anon.postAsync(t.tag))
        if (anonymousMay) expect(a, t.name).not.toBe('unauthenticated')
        else expect(a, t.name).toBe('unauthenticated')
        const v = await code(viewer.postAsync(t.tag))
        if (can({ username: 'v', role: 'viewer' }, t.permission!)) expect(v, t.name).not.toBe('forbidden')
        else expect(v, t.name).toBe('forbidden')
      }
      // CameraSet checks per key: a viewer gets a per-key refusal for every key.
      const r = (await viewer.postAsync(1001, [{ brightness: 10, record: 'on' }])) as { applied: object; errors: Array<{ error: string }> }
      expect(r.applied).toEqual({})
      expect(r.errors.map((e) => e.error)).toEqual(['Permission denied', 'Permission denied'])
    } finally {
      await anon.stop()
      await viewer.stop()
    }
  })
})

describe('messaging: publishing needs Messages_rw in both dialects and over HTTP', () => {
  it('/ws: anonymous Broadcast and DirectMessage → Error 401, viewer → Error 403', async () => {
    const anon = await open('/ws')
    await nextJson(anon)
    for (const [type, data] of [
      ['Broadcast', { topic: 'pit.board', payload: 'BOX' }],
      ['DirectMessage', { target_user: 'admin', payload: 'hi' }],
    ] as const) {
      const e = nextJson(anon, (m) => m.type === 'Error')
      anon.send(JSON.stringify({ type, data, id: 'a' }))
      expect((await e).data.code).toBe(401)
    }
    const viewer = await open('/ws', await s.token('viewer'))
    await nextJson(viewer)
    const e = nextJson(viewer, (m) => m.type === 'Error')
    viewer.send(JSON.stringify({ type: 'Broadcast', data: { topic: 'pit.board', payload: 'BOX' }, id: 'v' }))
    expect((await e).data.code).toBe(403)
    anon.terminate()
    viewer.terminate()
  })

  it('/chat: anonymous and viewer room_message → error unauthorized; HTTP room writes 401/403', async () => {
    const ot = await s.token('operator')
    const created = await fetch(`${s.url}/websocket/rooms`, json({ name: 'sec-room' }, ot))
    expect(created.status).toBe(200)
    const { roomId } = (await created.json()) as { roomId: string }
    for (const token of [undefined, await s.token('viewer')]) {
      const ws = await open('/chat?clientId=sec', token)
      await nextJson(ws, (m) => m.type === 'welcome')
      const joined = nextJson(ws, (m) => m.type === 'room_joined')
      ws.send(JSON.stringify({ type: 'join_room', room_id: roomId }))
      await joined
      const e = nextJson(ws, (m) => m.type === 'error' || m.type === 'room_message')
      ws.send(JSON.stringify({ type: 'room_message', room_id: roomId, message: 'spoof' }))
      expect(await e).toMatchObject({ type: 'error', error_type: 'unauthorized' })
      ws.terminate()
    }
    const vt = await s.token('viewer')
    for (const [path, body] of [
      ['/websocket/rooms', { name: 'x' }],
      [`/websocket/rooms/${roomId}/message`, { message: 'x' }],
      [`/websocket/rooms/${roomId}/join`, { connectionId: 'c' }],
      [`/websocket/rooms/${roomId}/leave`, { connectionId: 'c' }],
    ] as const) {
      expect((await fetch(`${s.url}${path}`, json(body))).status, path).toBe(401)
      expect((await fetch(`${s.url}${path}`, json(body, vt))).status, path).toBe(403)
    }
    expect((await fetch(`${s.url}/websocket/rooms/${roomId}`, { method: 'DELETE' })).status).toBe(401)
    expect((await fetch(`${s.url}/websocket/rooms/${roomId}`, { method: 'DELETE', headers: { authorization: `Bearer ${vt}` } })).status).toBe(403)
  })
})

describe('users API and hub methods', () => {
  it('users: anonymous 401, viewer and operator 403, admin 201', async () => {
    const body = { username: 'sec-new', password: 'password-new', role: 'admin' }
    expect((await fetch(`${s.url}/api/users`)).status).toBe(401)
    expect((await fetch(`${s.url}/api/users`, json(body))).status).toBe(401)
    expect((await fetch(`${s.url}/api/users/admin`, { method: 'DELETE' })).status).toBe(401)
    for (const role of ['viewer', 'operator'] as const) {
      const t = await s.token(role)
      expect((await fetch(`${s.url}/api/users`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(403)
      expect((await fetch(`${s.url}/api/users`, json(body, t))).status).toBe(403)
      expect((await fetch(`${s.url}/api/users/admin`, { method: 'DELETE', headers: { authorization: `Bearer ${t}` } })).status).toBe(403)
    }
    expect((await fetch(`${s.url}/api/users`, json(body, await s.token('admin')))).status).toBe(201)
  })

  it('/hubs/diag SendToGroup needs Messages_rw: anonymous gets a hub error', async () => {
    const ws = await open('/hubs/diag')
    ws.send('{"protocol":"json","version":1}\x1e')
    await nextJson(ws)
    const done = nextJson(ws, (m) => m.type === 3)
    ws.send(JSON.stringify({ type: 1, invocationId: '1', target: 'SendToGroup', arguments: ['g', 'spoof'] }) + '\x1e')
    expect((await done).error).toMatch(/permission|login|Unauthorized|Messages_rw/i)
    ws.terminate()
  })
})
