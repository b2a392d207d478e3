import type { Feature } from '../types.ts'
import { RunPlanPage } from './RunPlanPage.tsx'

export const runPlanFeature: Feature = { id: 'runplan', title: 'Run plan', component: RunPlanPage }
