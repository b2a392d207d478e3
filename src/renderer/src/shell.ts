import { createContext, useContext } from 'react'

/** What pages may ask of the app shell (login state belongs to the shell, not to a page). */
export interface ShellApi {
  kind: 'ipc' | 'ws'
  login(): void
  logout(): void
}

export const ShellContext = createContext<ShellApi>({ kind: 'ws', login: () => undefined, logout: () => undefined })

export const useShell = (): ShellApi => useContext(ShellContext)
