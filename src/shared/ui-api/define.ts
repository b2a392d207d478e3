import type { z } from 'zod'

// Helpers to declare UI API commands and topics once, with their parameter schema (checked on the
// core side) and their result/event type (carried as a phantom for both sides' type checks).

export interface CommandDef<P extends z.ZodType = z.ZodType, R = unknown> {
  params: P
  /** Phantom: never read at runtime. */
  readonly __result?: R
}

export interface TopicDef<P extends z.ZodType = z.ZodType, E = unknown> {
  params: P
  /** Phantom: never read at runtime. */
  readonly __event?: E
}

export const command = <P extends z.ZodType>(params: P) => ({ returns: <R>(): CommandDef<P, R> => ({ params }) })
export const topic = <P extends z.ZodType>(params: P) => ({ emits: <E>(): TopicDef<P, E> => ({ params }) })

export interface ApiSection {
  commands: Record<string, CommandDef>
  topics: Record<string, TopicDef>
}

/** Error codes a UI API call can fail with. */
export type UiErrorCode = 'unknown_method' | 'unknown_topic' | 'invalid_params' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable' | 'rate_limited' | 'internal' | 'bad_request'

export interface UiErrorShape {
  code: UiErrorCode
  message: string
}

/** Wire messages of the WebSocket transport (`/ui`). The IPC transport carries the same payloads. */
export type UiClientMessage =
  | { t: 'call'; id: number; method: string; params?: unknown }
  | { t: 'sub'; id: number; topic: string; params?: unknown }
  | { t: 'unsub'; id: number }

export type UiServerMessage =
  | { t: 'hello'; user: { username: string | null; role: string }; server: { name: string; version: string } }
  | { t: 'result'; id: number; result: unknown }
  | { t: 'error'; id: number; error: UiErrorShape }
  | { t: 'event'; id: number; data: unknown }

/** A failed UI API call, with the core's error code. */
export class UiApiError extends Error {
  override name = 'UiApiError'
  readonly code: UiErrorCode
  constructor(error: UiErrorShape) {
    super(error.message)
    this.code = error.code
  }
}
