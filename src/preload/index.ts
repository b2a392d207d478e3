import { contextBridge, ipcRenderer } from 'electron'
import type { PitwallDesktopApi } from './api.d.ts'

// Sandboxed preload (bundled as CommonJS): exposes the UI API and nothing else — never ipcRenderer itself.

type EventListener = (id: number, data: unknown) => void
const eventListeners = new Set<EventListener>()
const navigateListeners = new Set<(hash: string) => void>()

ipcRenderer.on('ui:event', (_e, msg: { id: number; data: unknown }) => {
  for (const l of eventListeners) l(msg.id, msg.data)
})
ipcRenderer.on('ui:navigate', (_e, hash: unknown) => {
  if (typeof hash !== 'string' || !hash.startsWith('#/')) return
  for (const l of navigateListeners) l(hash)
})

const api: PitwallDesktopApi = {
  call: (method, params) => ipcRenderer.invoke('ui:call', { method, params }),
  subscribe: (id, topic, params) => ipcRenderer.invoke('ui:sub', { id, topic, params }),
  unsubscribe: async (id) => {
    await ipcRenderer.invoke('ui:unsub', { id })
  },
  onEvent: (listener) => {
    eventListeners.add(listener)
    return () => eventListeners.delete(listener)
  },
  onNavigate: (listener) => {
    navigateListeners.add(listener)
    return () => navigateListeners.delete(listener)
  },
  platform: process.platform,
}

contextBridge.exposeInMainWorld('pitwall', api)
