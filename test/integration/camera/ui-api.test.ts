import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { Core } from '../../../src/main/core/index.ts'
import { V1Client, wsUrl } from '../../helpers/v1-client.ts'
import { ADMIN_PW, simOf, startCore } from './helpers.ts'

// The camera section of the UI API over the /ui WebSocket transport: same model, same checks.

let core: Core
beforeAll(async () => {
  core = await startCore()
  await core.ctx.auth.createUser({ username: 'viewer1', password: 'viewer-pw-1', role: 'viewer' })
})
afterAll(() => core.stop())

type Frame = { t: string; id: number; result?: any; error?: any; data?: any } // eslint-disable-line @typescript-eslint/no-explicit-any

async function ui(username?: string, password?: string) {
  let token = ''
  if (username) {
    const r = await fetch(`${core.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
    token = ((await r.json()) as { token: string }).token
  }
  const ws = new WebSocket(wsUrl(core.url, `/ui${token ? `?token=${token}` : ''}`))
  const frames: Frame[] = []
  let wake: (() => void) | undefined
  ws.on('message', (d) => {
    frames.push(JSON.parse(String(d)))
    wake?.()
  })
  await new Promise((r) => ws.once('open', r))
  let id = 0
  const next = async (match: (f: Frame) => boolean): Promise<Frame> => {
    for (let i = 0; i < 200; i++) {
      const at = frames.findIndex(match)
      if (at >= 0) return frames.splice(at, 1)[0]!
      await new Promise<void>((r) => {
        wake = r
        setTimeout(r, 20)
      })
    }
    throw new Error('no matching frame')
  }
  return {
    ws,
    next,
    call: async (method: string, params: unknown) => {
      const my = ++id
      ws.send(JSON.stringify({ t: 'call', id: my, method, params }))
      return next((f) => f.id === my && (f.t === 'result' || f.t === 'error'))
    },
    sub: (topic: string) => {
      const my = ++id
      ws.send(JSON.stringify({ t: 'sub', id: my, topic, params: {} }))
      return my
    },
  }
}

describe('UI API camera section', () => {
  it('camera.get returns the snapshot with the caller’s permissions', async () => {
    const viewer = await ui('viewer1', 'viewer-pw-1')
    const r = await viewer.call('camera.get', {})
    expect(r.result).toMatchObject({ controller: 'sim', link: { state: 'connected' }, permissions: ['Device_r', 'Media_r'], writable: [] })
    expect(Object.keys(r.result.state)).toHaveLength(23)
    viewer.ws.close()
  })

  it('camera.set applies with the same validation and per-key errors as v1; the topic streams changes', async () => {
    const admin = await ui('admin', ADMIN_PW)
    const sub = admin.sub('camera')
    const snap = await admin.next((f) => f.id === sub && f.t === 'event')
    expect(snap.data.type).toBe('snapshot')
    const r = await admin.call('camera.set', { changes: { brightness: 64, contrast: '5', nope: 1 } })
    expect(r.result).toEqual({
      applied: { brightness: 64 },
      errors: [
        { error: 'Invalid value', key: 'contrast', message: 'Value must be an integer between 0 and 100' },
        { error: 'Unknown key', key: 'nope', message: 'No key "nope" in camera API v1' },
      ],
    })
    expect((await admin.next((f) => f.id === sub && f.data?.type === 'change')).data).toEqual({ type: 'change', changes: { brightness: 64 } })
    // a v1 client's change reaches the UI too
    const v1 = await V1Client.open(wsUrl(core.url))
    await v1.login('admin', ADMIN_PW)
    v1.send({ fps: 24 })
    expect((await admin.next((f) => f.id === sub && f.data?.type === 'change')).data).toEqual({ type: 'change', changes: { fps: 24 } })
    v1.close()
    // link events
    simOf(core).unplug()
    expect((await admin.next((f) => f.id === sub && f.data?.type === 'link')).data).toMatchObject({ type: 'link', link: { state: 'disconnected' } })
    simOf(core).replug()
    admin.ws.close()
  })

  it('anonymous camera.set gets per-key Permission denied; camera.command needs Device_rw', async () => {
    const anon = await ui()
    const r = await anon.call('camera.set', { changes: { 'cam1-light': true } })
    expect(r.result).toEqual({ applied: {}, errors: [{ error: 'Permission denied', key: 'cam1-light', message: 'Writing cam1-light needs Device_rw' }] })
    expect((await anon.call('camera.command', { name: 'zoom', args: { value: 3 } })).error).toMatchObject({ code: 'unauthenticated' })
    anon.ws.close()
    const admin = await ui('admin', ADMIN_PW)
    expect((await admin.call('camera.command', { name: 'zoom', args: { value: 30 } })).result).toEqual({ result: { zoom: 30 } })
    expect((await admin.call('camera.command', { name: 'zoom', args: { value: 300 } })).error).toEqual({ code: 'bad_request', message: 'zoom: value must be an integer between 0 and 100' })
    expect((await admin.call('camera.command', { name: 'warp', args: {} })).error).toEqual({ code: 'bad_request', message: 'Unknown device control: warp' })
    admin.ws.close()
  })
})
