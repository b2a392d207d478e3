import type { Feature } from '../types.ts'
import { TimingPage } from './TimingPage.tsx'

export const timingFeature: Feature = { id: 'timing', title: 'Timing', component: TimingPage }
