import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CAMERA_KEY_NAMES } from '../../../src/shared/camera-keys.ts'
import type { Core } from '../../../src/main/core/index.ts'
import { type Msg, V1Client, wsUrl } from '../../helpers/v1-client.ts'
import { ADMIN_PW, cameraOf, simOf, startCore } from './helpers.ts'

let core: Core
let url: string
const open: V1Client[] = []

async function client(path = '/api/v1'): Promise<V1Client> {
  const c = await V1Client.open(wsUrl(core.url, path))
  open.push(c)
  return c
}
async function admin(): Promise<V1Client> {
  const c = await client()
  expect(await c.login('admin', ADMIN_PW)).toMatchObject({ authenticated: true, user: 'admin' })
  return c
}
const httpLogin = async (username: string, password: string) =>
  fetch(`${core.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })

beforeAll(async () => {
  core = await startCore({ camera: { commandTimeoutMs: 300, maxBufferedBytes: 16384 } })
  url = wsUrl(core.url)
  await core.ctx.auth.createUser({ username: 'viewer1', password: 'viewer-pw-1', role: 'viewer' })
  await core.ctx.auth.createUser({ username: 'operator1', password: 'operator-pw-1', role: 'operator' })
})
afterEach(() => {
  for (const c of open.splice(0)) c.close()
  const sim = simOf(core)
  sim.fault = 'none'
  sim.refusals.clear()
  sim.attachHead2()
})
afterAll(() => core.stop())

describe('camera API v1: reads and broadcasts', () => {
  it('answers get with the values of every readable key, and all of them for an empty list', async () => {
    const c = await client()
    const [r] = await c.request({ get: ['brightness', 'record', 'resolution'] })
    expect(r).toEqual({ brightness: 50, record: 'off', resolution: '1920x1080' })
    const [all] = await c.request({ get: [] })
    expect(Object.keys(all!).sort()).toEqual([...CAMERA_KEY_NAMES].sort())
  })

  it('two clients see each other’s changes; the sender gets the confirmation, then the broadcast', async () => {
    const a = await admin()
    const b = await admin()
    a.send({ brightness: 75 })
    expect(await a.next()).toEqual({ brightness: 75, info: ['brightness'] })
    expect(await a.next()).toEqual({ brightness: 75 })
    expect(await b.next()).toEqual({ brightness: 75 })
    b.send({ contrast: 60, saturation: 40 })
    expect(await b.next()).toEqual({ contrast: 60, saturation: 40, info: ['contrast', 'saturation'] })
    expect(await a.next()).toEqual({ contrast: 60, saturation: 40 })
    // anonymous readers get it too
    const anon = await client()
    a.send({ sharpness: 10 })
    expect(await anon.next()).toEqual({ sharpness: 10 })
  })

  it('confirms an unchanged value but does not broadcast it', async () => {
    const a = await admin()
    const b = await client()
    a.send({ gain: 33 })
    await b.next((m) => m.gain === 33)
    a.send({ gain: 33 })
    expect(await a.next()).toEqual({ gain: 33, info: ['gain'] })
    a.send({ gain: 34 })
    expect(await b.next()).toEqual({ gain: 34 }) // not a second {gain: 33}
  })

  it('broadcasts changes made on the device without info', async () => {
    const a = await admin()
    simOf(core).press({ 'cam1-light': true, brightness: 3 })
    expect(await a.next()).toEqual({ 'cam1-light': true, brightness: 3 })
  })
})

describe('camera API v1: writes and per-key errors', () => {
  it('applies the valid keys of a batch and answers every other key with its own error', async () => {
    const a = await admin()
    const msgs = await a.request({ brightness: 11, contrast: 101, fps: 75.5, 'jpeg-quality': '75', bogus: 1, 'cam1-exists': false }, 6)
    expect(msgs[0]).toEqual({ brightness: 11, info: ['brightness'] })
    expect(msgs.slice(1)).toEqual([
      { error: 'Invalid value', key: 'contrast', message: 'Value must be between 0 and 100' },
      { error: 'Invalid value', key: 'fps', message: 'Value must be an integer between 5 and 60' },
      { error: 'Invalid value', key: 'jpeg-quality', message: 'Value must be an integer between 0 and 100' },
      { error: 'Unknown key', key: 'bogus', message: 'No key "bogus" in camera API v1' },
      { error: 'Read-only', key: 'cam1-exists', message: 'cam1-exists is read-only' },
    ])
    expect(await a.next()).toEqual({ brightness: 11 })
  })

  it('is strict about types: "75" and 75.5 are invalid for integers, 1 for booleans', async () => {
    const a = await admin()
    expect(await a.request({ brightness: '75' })).toEqual([{ error: 'Invalid value', key: 'brightness', message: 'Value must be an integer between 0 and 100' }])
    expect(await a.request({ brightness: 75.5 })).toEqual([{ error: 'Invalid value', key: 'brightness', message: 'Value must be an integer between 0 and 100' }])
    expect(await a.request({ 'cam1-light': 1 })).toEqual([{ error: 'Invalid value', key: 'cam1-light', message: 'Value must be true or false' }])
    expect(await a.request({ resolution: '1024x768' })).toEqual([
      { error: 'Invalid value', key: 'resolution', message: 'Value must be one of "640x480", "1280x720", "1920x1080", "3840x2160"' },
    ])
  })

  it('record takes true/false/"on"/"off"/"pause"/"pause_release" and reads back "on"/"off"/"pause"', async () => {
    const a = await admin()
    const seq: Array<[unknown, string]> = [
      [true, 'on'],
      ['pause', 'pause'],
      ['pause_release', 'on'],
      [false, 'off'],
      ['on', 'on'],
      ['off', 'off'],
      ['start', 'on'],
      ['stop', 'off'],
    ]
    for (const [input, canonical] of seq) {
      a.send({ record: input })
      expect(await a.next()).toEqual({ record: canonical, info: ['record'] })
      expect(await a.next()).toEqual({ record: canonical })
    }
    expect(await a.request({ record: 'pause' })).toEqual([{ error: 'Invalid value', key: 'record', message: 'Cannot pause: not recording' }])
    expect(await a.request({ record: 'record' })).toEqual([{ error: 'Invalid value', key: 'record', message: 'Value must be true, false, "on", "off", "pause" or "pause_release"' }])
  })

  it('snap is an action: confirmed, never broadcast, reads false', async () => {
    const a = await admin()
    const b = await client()
    expect(await a.request({ snap: true })).toEqual([{ snap: true, info: ['snap'] }])
    expect(await a.request({ snap: false })).toEqual([{ error: 'Invalid value', key: 'snap', message: 'Write true to trigger' }])
    a.send({ 'jpeg-quality': 70 })
    expect(await b.next()).toEqual({ 'jpeg-quality': 70 }) // the first thing b sees: no {"snap": ...}
    expect(await b.request({ get: ['snap'] })).toEqual([{ snap: false }])
  })

  it('refuses main-camera 2 while cam2-exists is false', async () => {
    const a = await admin()
    simOf(core).detachHead2()
    expect(await a.next()).toMatchObject({ 'cam2-exists': false })
    expect(await a.request({ 'main-camera': 2 })).toEqual([{ error: 'Invalid value', key: 'main-camera', message: 'Camera 2 is not attached (cam2-exists is false)' }])
    simOf(core).attachHead2()
    expect(await a.next()).toEqual({ 'cam2-exists': true })
    a.send({ 'main-camera': 2 })
    expect(await a.next()).toEqual({ 'main-camera': 2, info: ['main-camera'] })
    // unplugging head 2 while it is the main camera switches back to 1
    simOf(core).detachHead2()
    expect(await a.next((m) => 'cam2-exists' in m)).toMatchObject({ 'cam2-exists': false, 'main-camera': 1 })
  })

  it('a write the device refuses gets a per-key error and no broadcast', async () => {
    const a = await admin()
    const b = await client()
    simOf(core).refusals.set('gain', 'Gain is locked on the panel')
    const msgs = await a.request({ gain: 90, 'red-gain': 12 }, 2)
    expect(msgs).toEqual([{ 'red-gain': 12, info: ['red-gain'] }, { error: 'Refused by device', key: 'gain', message: 'Gain is locked on the panel' }])
    expect(await b.next()).toEqual({ 'red-gain': 12 })
    expect(cameraOf(core).model.state.gain).not.toBe(90)
  })

  it('a device that does not answer in time gives a timeout error per key and no broadcast', async () => {
    const a = await admin()
    const b = await client()
    const before = cameraOf(core).model.state.brightness
    simOf(core).fault = 'no-answer'
    const msgs = await a.request({ brightness: before === 99 ? 98 : 99, contrast: 1 }, 2)
    expect(msgs).toEqual([
      { error: 'Device timeout', key: 'brightness', message: 'The device did not answer within 300 ms' },
      { error: 'Device timeout', key: 'contrast', message: 'The device did not answer within 300 ms' },
    ])
    simOf(core).fault = 'none'
    a.send({ sharpness: 77 })
    expect(await b.next()).toEqual({ sharpness: 77 }) // nothing from the timed-out write came first
    expect(cameraOf(core).model.state.brightness).toBe(before)
  })

  it('an unplugged device gives "Device unavailable"', async () => {
    const a = await admin()
    simOf(core).unplug()
    try {
      expect(await a.request({ fps: 25 })).toEqual([{ error: 'Device unavailable', key: 'fps', message: 'Device not connected' }])
      const status = (await (await fetch(`${core.url}/api/status`)).json()) as { engines: Record<string, { state: string; link: { state: string } }> }
      expect(status.engines.camera).toMatchObject({ state: 'degraded', link: { state: 'disconnected' } })
    } finally {
      simOf(core).replug()
    }
  })

  it('the noise-suppression alias writes noise-supression', async () => {
    const a = await admin()
    a.send({ 'noise-suppression': true })
    expect(await a.next()).toEqual({ 'noise-supression': true, info: ['noise-supression'] })
  })
})

describe('camera API v1: authentication and permissions', () => {
  it('anonymous may read but never write', async () => {
    const c = await client()
    expect(await c.request({ brightness: 5, record: true }, 2)).toEqual([
      { error: 'Permission denied', key: 'brightness', message: 'Writing brightness needs Device_rw' },
      { error: 'Permission denied', key: 'record', message: 'Writing record needs Media_rw' },
    ])
  })

  it('logs in with username/password and replies with user and permissions; a failed login stays anonymous and open', async () => {
    const c = await client()
    expect(await c.login('admin', 'wrong-password')).toEqual({ authenticated: false, error: 'Authentication failed' })
    expect(await c.request({ get: ['fps'] })).toEqual([{ fps: expect.any(Number) }])
    expect(await c.login('operator1', 'operator-pw-1')).toEqual({ authenticated: true, user: 'operator1', role: 'operator', permissions: ['Device_r', 'Device_rw', 'Media_r', 'Media_rw'] })
    const [r] = await c.request({ 'blue-gain': 44 })
    expect(r).toEqual({ 'blue-gain': 44, info: ['blue-gain'] })
  })

  it('a viewer may read everything and write nothing', async () => {
    const c = await client()
    expect(await c.login('viewer1', 'viewer-pw-1')).toEqual({ authenticated: true, user: 'viewer1', role: 'viewer', permissions: ['Device_r', 'Media_r'] })
    expect(await c.request({ 'jpeg-quality': 50 })).toEqual([{ error: 'Permission denied', key: 'jpeg-quality', message: 'Writing jpeg-quality needs Media_rw' }])
  })

  it('accepts {"token"} from POST /api/login and ?token= on the upgrade; a bad token leaves the socket anonymous', async () => {
    const { token } = (await (await httpLogin('operator1', 'operator-pw-1')).json()) as { token: string }
    const c = await client()
    c.send({ token })
    expect(await c.next()).toMatchObject({ authenticated: true, user: 'operator1' })
    const q = await client(`/api/v1?token=${encodeURIComponent(token)}`)
    expect(await q.next()).toMatchObject({ authenticated: true, user: 'operator1' })
    expect(await q.request({ saturation: 21 })).toEqual([{ saturation: 21, info: ['saturation'] }])
    const bad = await client('/api/v1?token=not-a-token')
    expect(await bad.next()).toEqual({ authenticated: false, error: 'Invalid token' })
    expect(await bad.request({ saturation: 22 })).toEqual([{ error: 'Permission denied', key: 'saturation', message: 'Writing saturation needs Device_rw' }])
    c.send({ token: 12 })
    expect(await c.next((m) => 'authenticated' in m)).toEqual({ authenticated: false, error: 'Invalid token' })
  })

  it('an auth message is only an auth message: its other keys are ignored', async () => {
    const c = await client()
    c.send({ username: 'admin', password: ADMIN_PW, brightness: 1 })
    expect(await c.next()).toMatchObject({ authenticated: true })
    c.send({ get: ['brightness'] })
    expect((await c.next()).brightness).not.toBe(1)
  })

  it('messages sent right behind a login are handled after it', async () => {
    const c = await client()
    c.send({ username: 'admin', password: ADMIN_PW })
    c.send({ 'cam2-light': true })
    expect(await c.next()).toMatchObject({ authenticated: true })
    expect(await c.next()).toEqual({ 'cam2-light': true, info: ['cam2-light'] })
  })

  it('after a logout over HTTP the socket drops back to anonymous', async () => {
    const { token } = (await (await httpLogin('admin', ADMIN_PW)).json()) as { token: string }
    const c = await client(`/api/v1?token=${encodeURIComponent(token)}`)
    await c.next()
    const out = await fetch(`${core.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    expect(out.status).toBe(200)
    const msgs = await c.request({ brightness: 9 }, 2)
    expect(msgs).toEqual([
      { authenticated: false, error: 'Session expired' },
      { error: 'Permission denied', key: 'brightness', message: 'Writing brightness needs Device_rw' },
    ])
  })

  it('a listening socket whose session ended loses its rights at the next session check', async () => {
    const { token } = (await (await httpLogin('viewer1', 'viewer-pw-1')).json()) as { token: string }
    const c = await client(`/api/v1?token=${encodeURIComponent(token)}`)
    expect(await c.next()).toMatchObject({ authenticated: true })
    await fetch(`${core.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    cameraOf(core).v1.checkSessions() // the heartbeat does this every 30 s
    expect(await c.next()).toEqual({ authenticated: false, error: 'Session expired' })
  })

  it('get answers unknown keys with their own errors', async () => {
    const c = await client()
    expect(await c.request({ get: ['fps', 'nope'] }, 2)).toEqual([{ fps: expect.any(Number) }, { error: 'Unknown key', key: 'nope', message: 'No key "nope" in camera API v1' }])
    expect(await c.request({ get: 'fps' })).toEqual([{ error: 'Invalid value', key: 'get', message: 'get must be an array of at most 64 key names' }])
  })
})

describe('camera API v1: bad input and limits', () => {
  it('answers malformed JSON and non-objects with Invalid JSON and keeps the socket open', async () => {
    const c = await client()
    expect(await c.request('{"brightness": ')).toEqual([{ error: 'Invalid JSON' }])
    expect(await c.request('[1,2]')).toEqual([{ error: 'Invalid JSON', message: 'Expected a JSON object' }])
    expect(await c.request('null')).toEqual([{ error: 'Invalid JSON', message: 'Expected a JSON object' }])
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    expect(await c.next()).toEqual({ error: 'Invalid JSON', message: 'Binary frames are not supported; send JSON text' })
    expect(await c.request('{"__proto__": {"brightness": 1}}')).toEqual([{ error: 'Unknown key', key: '__proto__', message: 'No key "__proto__" in camera API v1' }])
    expect(await c.request({ get: ['fps'] })).toEqual([{ fps: expect.any(Number) }])
  })

  it('refuses frames over 64 KiB by closing with 1009', async () => {
    const c = await client()
    c.send(JSON.stringify({ x: 'a'.repeat(65 * 1024) }))
    expect((await c.closed).code).toBe(1009)
  })

  it('answers an over-rate burst with "Rate limit exceeded" and stays open', async () => {
    const c = await client()
    for (let i = 0; i < 130; i++) c.send({ get: ['fps'] })
    const limited = await c.next((m) => m.error === 'Rate limit exceeded')
    expect(limited).toEqual({ error: 'Rate limit exceeded' })
    await new Promise((r) => setTimeout(r, 1100)) // the bucket refills
    c.messages.length = 0
    expect(await c.request({ get: ['gain'] })).toEqual([{ gain: expect.any(Number) }])
  })

  it('closes a client that keeps flooding with 1008', async () => {
    const c = await client()
    for (let i = 0; i < 400; i++) c.send({ get: ['fps'] })
    const closed = await c.closed
    expect(closed).toEqual({ code: 1008, reason: 'Rate limit exceeded' })
  })

  it('cuts off a client that stops reading, without holding up the others', async () => {
    const slow = await client()
    const good = await client()
    const sim = simOf(core)
    ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const before = cameraOf(core).v1.clientCount
    // ~400 bytes per broadcast: enough output to fill the kernel buffers and the 16 KiB bound many times
    const batch = (i: number) => ({ brightness: i % 101, contrast: (i + 1) % 101, saturation: (i + 2) % 101, gain: (i + 3) % 101, 'red-gain': (i + 4) % 101, 'blue-gain': (i + 5) % 101, sharpness: (i + 6) % 101 })
    let i = 0
    let received = 0
    good.ws.on('message', () => received++)
    for (let round = 0; round < 200 && cameraOf(core).v1.clientCount === before; round++) {
      for (let k = 0; k < 500; k++) sim.press(batch(i++))
      await new Promise((r) => setImmediate(r))
    }
    expect(cameraOf(core).v1.clientCount).toBe(before - 1)
    // the good client receives every change that was sent
    await expect.poll(() => received, { timeout: 10_000 }).toBe(i)
    ;(slow.ws as unknown as { _socket: { resume(): void } })._socket.resume()
    expect((await slow.closed).code).toBe(1006)
    const metrics = await (await fetch(`${core.url}/metrics`)).text()
    expect(metrics).toMatch(/pitwall_camera_v1_slow_clients_total 1/)
  })
})

describe('camera API v1: extras', () => {
  it('rejects too many keys in one message', async () => {
    const c = await client()
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 1]))
    expect(await c.request(many)).toEqual([{ error: 'Invalid value', message: 'At most 64 keys per message' }])
  })

  it('answers {} with an empty confirmation', async () => {
    const c = await client()
    expect(await c.request({})).toEqual([{ info: [] }])
  })

  it('shows link state and client count in /api/status', async () => {
    await client()
    const status = (await (await fetch(`${core.url}/api/status`)).json()) as { engines: Record<string, Msg> }
    expect(status.engines.camera).toMatchObject({ state: 'running', controller: 'sim', link: { state: 'connected' }, clients: expect.any(Number) })
    expect(url).toMatch(/^ws:/)
  })
})
