import { create } from 'zustand'
import type { SessionInfo } from '../../../shared/ui-api/index.ts'

interface SessionState {
  user: SessionInfo['user'] | null
  /** The generated first-run admin password; held until the person dismisses it (the core gives it once). */
  firstRunPassword: string | null
  set(info: SessionInfo): void
  dismissPassword(): void
}

export const useSession = create<SessionState>((set) => ({
  user: null,
  firstRunPassword: null,
  set: (info) => set((s) => ({ user: info.user, firstRunPassword: info.firstRunPassword ?? s.firstRunPassword })),
  dismissPassword: () => set({ firstRunPassword: null }),
}))
