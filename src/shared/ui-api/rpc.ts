import type { ApiSection } from './define.ts'

// The rpc section of the UI API (filled in by the rpc room).

export const rpcApi = {
  commands: {},
  topics: {},
} satisfies ApiSection
