import type { Feature } from '../types.ts'
import { MessagesPage } from './MessagesPage.tsx'

export const messagesFeature: Feature = { id: 'messages', title: 'Messages', component: MessagesPage }
