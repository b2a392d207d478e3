import { z } from 'zod'
import { command, topic } from './define.ts'

// The core section: status, login, users, logs, settings.

export type EngineState = 'starting' | 'running' | 'degraded' | 'stopped' | 'error'

export interface EngineStatus {
  state: EngineState
  /** One line a person can read: what the engine is doing or what is wrong. */
  detail?: string
  [key: string]: unknown
}

export interface StatusInfo {
  name: string
  version: string
  uptime: number
  instanceId: string
  url?: string
  engines: Record<string, EngineStatus>
}

export interface UserInfo {
  username: string
  role: 'admin' | 'operator' | 'viewer' | 'guest'
  createdAt: number
}

export interface LogLineInfo {
  seq: number
  time: number
  level: string
  area: string
  msg: string
}

export interface SessionInfo {
  user: { username: string | null; role: string }
  /** The generated first-run admin password, given once to a local admin. */
  firstRunPassword?: string
}

const role = z.enum(['admin', 'operator', 'viewer', 'guest'])

export const coreApi = {
  commands: {
    'status.get': command(z.object({}).strict()).returns<StatusInfo>(),
    'session.get': command(z.object({}).strict()).returns<SessionInfo>(),
    'users.list': command(z.object({}).strict()).returns<UserInfo[]>(),
    'users.save': command(z.object({ username: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), password: z.string().min(8).max(256), role }).strict()).returns<UserInfo>(),
    'users.delete': command(z.object({ username: z.string().min(1).max(64) }).strict()).returns<{ ok: true }>(),
    'logs.recent': command(z.object({ limit: z.number().int().min(1).max(1000).default(200) }).strict()).returns<LogLineInfo[]>(),
  },
  topics: {
    /** Pushes the whole status whenever an engine changes state (and every few seconds). */
    status: topic(z.object({}).strict()).emits<StatusInfo>(),
    /** Live log lines. */
    logs: topic(z.object({}).strict()).emits<LogLineInfo>(),
  },
}
