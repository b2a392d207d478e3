import type { ApiSection } from './define.ts'

// The messaging section of the UI API (filled in by the messaging room).

export const messagingApi = {
  commands: {},
  topics: {},
} satisfies ApiSection
