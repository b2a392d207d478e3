import { describe, expect, it, vi } from 'vitest'
import type { PitwallDesktopApi } from '../../../src/preload/api.d.ts'

vi.mock('electron', () => import('./electron-mock.ts'))

const { contextBridge, ipcRenderer } = await import('./electron-mock.ts')
await import('../../../src/preload/index.ts')

describe('preload', () => {
  it('exposes exactly window.pitwall, with the UI API methods and no Electron object', () => {
    expect(Object.keys(contextBridge.exposed)).toEqual(['pitwall'])
    const api = contextBridge.exposed.pitwall as PitwallDesktopApi
    expect(Object.keys(api).sort()).toEqual(['call', 'onEvent', 'onNavigate', 'platform', 'subscribe', 'unsubscribe'])
    for (const v of Object.values(api)) expect(v).not.toBe(ipcRenderer)
  })

  it('maps calls to the IPC channels and routes events to listeners', async () => {
    const api = contextBridge.exposed.pitwall as PitwallDesktopApi
    await api.call('status.get', {})
    await api.subscribe(3, 'logs', {})
    await api.unsubscribe(3)
    expect(ipcRenderer.invoked).toEqual([
      ['ui:call', { method: 'status.get', params: {} }],
      ['ui:sub', { id: 3, topic: 'logs', params: {} }],
      ['ui:unsub', { id: 3 }],
    ])
    const got: unknown[] = []
    const off = api.onEvent((id, data) => got.push([id, data]))
    ipcRenderer.emit('ui:event', {}, { id: 3, data: 'x' })
    off()
    ipcRenderer.emit('ui:event', {}, { id: 3, data: 'y' })
    expect(got).toEqual([[3, 'x']])
  })

  it('passes on only hash routes as navigation', () => {
    const api = contextBridge.exposed.pitwall as PitwallDesktopApi
    const got: string[] = []
    api.onNavigate((h) => got.push(h))
    for (const h of ['#/timing?car=7', 'javascript:alert(1)', 'https://x', 42]) ipcRenderer.emit('ui:navigate', {}, h)
    expect(got).toEqual(['#/timing?car=7'])
  })
})
