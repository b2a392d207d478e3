import { deviceFeature } from './device/index.ts'
import { logsFeature } from './logs/index.ts'
import { messagesFeature } from './messages/index.ts'
import { runPlanFeature } from './runplan/index.ts'
import { settingsFeature } from './settings/index.ts'
import { timingFeature } from './timing/index.ts'
import type { Feature } from './types.ts'

export type { Feature } from './types.ts'

/**
 * Every page, in navigation order. A room adds its page by exporting a Feature from
 * features/<room>/index.ts and listing it here (one line).
 */
export const features: Feature[] = [timingFeature, runPlanFeature, messagesFeature, deviceFeature, settingsFeature, logsFeature]
