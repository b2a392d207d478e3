import { create } from 'zustand'
import type { DesktopInfo } from '../../../shared/ui-api/index.ts'

/** The desktop shell's state (updates, settings); only fed in the desktop window (topic `desktop`). */
export const useDesktop = create<{ info: DesktopInfo | null; set(i: DesktopInfo): void }>((set) => ({
  info: null,
  set: (info) => set({ info }),
}))
