import type { z } from 'zod'
import { cameraApi } from './camera.ts'
import { coreApi } from './core.ts'
import { desktopApi } from './desktop.ts'
import { messagingApi } from './messaging.ts'
import { rpcApi } from './rpc.ts'
import { timingApi } from './timing.ts'

export * from './define.ts'
export * from './core.ts'
export * from './camera.ts'
export * from './timing.ts'
export * from './messaging.ts'
export * from './rpc.ts'
export * from './desktop.ts'

/** The one typed contract between the renderer and the core: every command and subscription. */
export const uiApi = {
  commands: { ...coreApi.commands, ...cameraApi.commands, ...timingApi.commands, ...messagingApi.commands, ...rpcApi.commands, ...desktopApi.commands },
  topics: { ...coreApi.topics, ...cameraApi.topics, ...timingApi.topics, ...messagingApi.topics, ...rpcApi.topics, ...desktopApi.topics },
}

type Commands = typeof uiApi.commands
type Topics = typeof uiApi.topics
export type CommandName = keyof Commands & string
export type TopicName = keyof Topics & string
export type CommandParams<K extends CommandName> = z.input<Commands[K]['params']>
export type CommandResult<K extends CommandName> = NonNullable<Commands[K]['__result']>
export type TopicParams<K extends TopicName> = z.input<Topics[K]['params']>
export type TopicEvent<K extends TopicName> = NonNullable<Topics[K]['__event']>

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthenticated'

/** What the renderer talks to. Implemented over IPC (desktop window) and WebSocket (browser). */
export interface UiTransport {
  readonly kind: 'ipc' | 'ws'
  call<K extends CommandName>(method: K, params: CommandParams<K>): Promise<CommandResult<K>>
  subscribe<K extends TopicName>(topic: K, params: TopicParams<K>, onEvent: (event: TopicEvent<K>) => void): () => void
  onState(listener: (state: ConnectionState) => void): () => void
  readonly state: ConnectionState
  close(): void
}
