import type { Feature } from '../types.ts'
import { SettingsPage } from './SettingsPage.tsx'

export const settingsFeature: Feature = { id: 'settings', title: 'Settings', component: SettingsPage }
