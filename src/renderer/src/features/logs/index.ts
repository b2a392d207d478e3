import type { Feature } from '../types.ts'
import { LogsPage } from './LogsPage.tsx'

export const logsFeature: Feature = { id: 'logs', title: 'Logs', component: LogsPage }
