import { useSyncExternalStore } from 'react'

// Hash routing: `#/timing`, `#/timing?car=12` (deep links from the desktop shell use the same form).

import { parseHash, type Route } from './route-parse.ts'

export { parseHash, type Route } from './route-parse.ts'

const subscribe = (cb: () => void) => {
  addEventListener('hashchange', cb)
  return () => removeEventListener('hashchange', cb)
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => location.hash)
}

export function useRoute(): Route {
  return parseHash(useHash())
}

export function navigate(page: string, query?: Record<string, string>): void {
  const qs = query ? new URLSearchParams(query).toString() : ''
  location.hash = `#/${page}${qs ? `?${qs}` : ''}`
}
