import { beforeEach, describe, expect, it, vi } from 'vitest'
import { silentLogger } from '../../../src/main/log/index.ts'
import { UiError, UiRouter } from '../../../src/main/uiapi/index.ts'

vi.mock('electron', () => import('./electron-mock.ts'))

const { FakeWebContents, ipcMain } = await import('./electron-mock.ts')
const { IPC, mountIpcUiApi } = await import('../../../src/main/desktop/ipc.ts')

const APP = 'file:///app/out/renderer/index.html'
const trusted = (e: { senderFrame?: { url: string; parent: unknown } }) => !!e.senderFrame && e.senderFrame.parent === null && e.senderFrame.url.startsWith(APP)

function setup() {
  const router = new UiRouter(silentLogger(), true)
  const seen: unknown[] = []
  router.handle('session.get', null, (_p, c) => {
    seen.push(c)
    return { user: { username: c.principal.username, role: c.principal.role } }
  })
  router.handle('logs.recent', 'System_r', (p) => [{ seq: 1, time: 0, level: 'info', area: 'x', msg: `limit ${p.limit}` }])
  router.handle('users.list', 'User_r', () => {
    throw new UiError('not_found', 'nobody')
  })
  const emitters = new Map<number, (e: any) => void>()
  let unsubscribed = 0
  let n = 0
  router.topic('logs', 'System_r', (_p, _c, emit) => {
    const id = ++n
    emitters.set(id, emit)
    emit({ seq: 0, time: 0, level: 'info', area: 'x', msg: 'first' })
    return () => {
      unsubscribed++
      emitters.delete(id)
    }
  })
  const adapter = mountIpcUiApi({ ipcMain: ipcMain as never, router, isTrusted: trusted as never, log: silentLogger() })
  const wc = new FakeWebContents()
  const event = { sender: wc, senderFrame: { url: `${APP}#/logs`, parent: null } }
  return { router, adapter, wc, event, seen, emitters, unsubscribed: () => unsubscribed }
}

let env: ReturnType<typeof setup>
beforeEach(() => {
  for (const ch of Object.values(IPC)) ipcMain.removeHandler(ch)
  env = setup()
})

describe('IPC adapter of the UI API', () => {
  it('calls through the router as the local admin over transport ipc', async () => {
    expect(await ipcMain.invoke(IPC.call, env.event, { method: 'session.get', params: {} })).toEqual({ ok: true, result: { user: { username: 'local', role: 'admin' } } })
    expect(env.seen[0]).toMatchObject({ transport: 'ipc', principal: { username: 'local', role: 'admin' } })
    // The command's own schema applies too (defaults filled, bad values refused).
    expect(await ipcMain.invoke(IPC.call, env.event, { method: 'logs.recent', params: {} })).toMatchObject({ ok: true, result: [{ msg: 'limit 200' }] })
    expect(await ipcMain.invoke(IPC.call, env.event, { method: 'logs.recent', params: { limit: 'lots' } })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
  })

  it('returns errors as envelopes with the router code (Electron would drop the fields of a thrown error)', async () => {
    expect(await ipcMain.invoke(IPC.call, env.event, { method: 'users.list', params: {} })).toEqual({ ok: false, error: { code: 'not_found', message: 'nobody' } })
    expect(await ipcMain.invoke(IPC.call, env.event, { method: 'nope', params: {} })).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
  })

  it.each([
    ['a string', 'session.get'],
    ['null', null],
    ['no method', { params: {} }],
    ['a numeric method', { method: 42 }],
    ['an oversized method', { method: 'x'.repeat(129) }],
    ['extra keys', { method: 'session.get', params: {}, principal: { role: 'admin' } }],
  ])('refuses a malformed call message (%s) with bad_request', async (_name, msg) => {
    const r = (await ipcMain.invoke(IPC.call, env.event, msg)) as { ok: boolean; error: { code: string; message: string } }
    expect(r.ok).toBe(false)
    expect(r.error.code).toBe('bad_request')
    expect(r.error.message).toMatch(/^Malformed IPC message/)
  })

  it('refuses messages from any frame but the app page', async () => {
    for (const frame of [undefined, { url: 'https://evil.example/', parent: null }, { url: APP, parent: {} }]) {
      const r = await ipcMain.invoke(IPC.call, { sender: env.wc, senderFrame: frame }, { method: 'session.get', params: {} })
      expect(r).toEqual({ ok: false, error: { code: 'forbidden', message: 'Not allowed from this page' } })
    }
    expect(env.seen).toEqual([])
  })

  it('subscribes with the caller id, forwards events tagged with it, and unsubscribes', async () => {
    expect(await ipcMain.invoke(IPC.sub, env.event, { id: 7, topic: 'logs', params: {} })).toEqual({ ok: true, result: null })
    expect(env.wc.sent).toEqual([[IPC.event, { id: 7, data: expect.objectContaining({ msg: 'first' }) }]])
    ;[...env.emitters.values()][0]!({ msg: 'second' })
    expect(env.wc.sent.at(-1)).toEqual([IPC.event, { id: 7, data: { msg: 'second' } }])
    expect(env.adapter.subscriptions()).toBe(1)
    await ipcMain.invoke(IPC.unsub, env.event, { id: 7 })
    expect(env.unsubscribed()).toBe(1)
    expect(env.adapter.subscriptions()).toBe(0)
  })

  it('refuses bad subscriptions precisely', async () => {
    expect(await ipcMain.invoke(IPC.sub, env.event, { id: -1, topic: 'logs' })).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(await ipcMain.invoke(IPC.sub, env.event, { id: 1, topic: 'nope' })).toMatchObject({ ok: false, error: { code: 'unknown_topic' } })
    expect(await ipcMain.invoke(IPC.unsub, env.event, { id: 'x' })).toMatchObject({ ok: false, error: { code: 'bad_request' } })
  })

  it('drops a window’s subscriptions when it reloads or closes, and stops sending to it', async () => {
    await ipcMain.invoke(IPC.sub, env.event, { id: 1, topic: 'logs' })
    await ipcMain.invoke(IPC.sub, env.event, { id: 2, topic: 'logs' })
    env.wc.emit('did-navigate')
    expect(env.unsubscribed()).toBe(2)
    await ipcMain.invoke(IPC.sub, env.event, { id: 1, topic: 'logs' })
    env.wc.destroy()
    expect(env.unsubscribed()).toBe(3)
    expect(env.adapter.subscriptions()).toBe(0)
  })

  it('a re-used id replaces the old subscription instead of leaking it', async () => {
    await ipcMain.invoke(IPC.sub, env.event, { id: 1, topic: 'logs' })
    await ipcMain.invoke(IPC.sub, env.event, { id: 1, topic: 'logs' })
    expect(env.unsubscribed()).toBe(1)
    expect(env.adapter.subscriptions()).toBe(1)
  })

  it('close() removes the handlers and ends every subscription', async () => {
    await ipcMain.invoke(IPC.sub, env.event, { id: 1, topic: 'logs' })
    env.adapter.close()
    expect(env.unsubscribed()).toBe(1)
    expect(ipcMain.handlers.size).toBe(0)
  })
})
