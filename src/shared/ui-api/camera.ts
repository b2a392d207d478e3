import type { ApiSection } from './define.ts'

// The camera section of the UI API (filled in by the camera room).

export const cameraApi = {
  commands: {},
  topics: {},
} satisfies ApiSection
