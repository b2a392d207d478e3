import type { ApiSection } from './define.ts'

// The timing section of the UI API (filled in by the timing room).

export const timingApi = {
  commands: {},
  topics: {},
} satisfies ApiSection
