import { create } from 'zustand'
import type { CameraChanges, CameraKey, LinkStatus } from '../../../../shared/camera-keys.ts'
import type { CameraEvent, CameraKeyError, CameraSnapshot } from '../../../../shared/ui-api/index.ts'

// The Device page's copy of the camera state: a snapshot from the `camera` topic, then every change
// and link event as it arrives (a change by any LAN client or by the device shows at the next render).

export interface KeyNote {
  kind: 'error' | 'pending'
  text: string
  at: number
}

interface CameraStore {
  snapshot: CameraSnapshot | null
  state: CameraChanges
  link: LinkStatus | null
  notes: Partial<Record<CameraKey, KeyNote>>
  apply(event: CameraEvent): void
  pending(keys: CameraKey[]): void
  settled(keys: CameraKey[], errors: CameraKeyError[]): void
  reset(): void
}

export const useCamera = create<CameraStore>((set) => ({
  snapshot: null,
  state: {},
  link: null,
  notes: {},
  apply: (e) =>
    set((s) => {
      if (e.type === 'snapshot') return { snapshot: e.snapshot, state: { ...e.snapshot.state }, link: e.snapshot.link }
      if (e.type === 'link') return { link: e.link }
      return { state: { ...s.state, ...e.changes } }
    }),
  pending: (keys) =>
    set((s) => {
      const notes = { ...s.notes }
      for (const k of keys) notes[k] = { kind: 'pending', text: 'waiting for the device…', at: Date.now() }
      return { notes }
    }),
  settled: (keys, errors) =>
    set((s) => {
      const notes = { ...s.notes }
      for (const k of keys) delete notes[k]
      for (const e of errors) notes[e.key as CameraKey] = { kind: 'error', text: e.message ? `${e.error}: ${e.message}` : e.error, at: Date.now() }
      return { notes }
    }),
  reset: () => set({ snapshot: null, state: {}, link: null, notes: {} }),
}))
