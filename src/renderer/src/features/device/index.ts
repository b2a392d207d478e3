import type { Feature } from '../types.ts'
import { DevicePage } from './DevicePage.tsx'

export const deviceFeature: Feature = { id: 'device', title: 'Device', component: DevicePage }
