import { can, type Permission, type Principal } from '../../shared/auth.ts'
import {
  type CommandName,
  type CommandParams,
  type CommandResult,
  type TopicEvent,
  type TopicName,
  type TopicParams,
  uiApi,
  type UiErrorCode,
  type UiErrorShape,
} from '../../shared/ui-api/index.ts'
import type { Logger } from '../log/index.ts'

/** Thrown by handlers to fail a call with a precise code and message. */
export class UiError extends Error {
  override name = 'UiError'
  readonly code: UiErrorCode
  constructor(code: UiErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

export interface UiContext {
  principal: Principal
  /** 'ipc' for the desktop window, 'ws' for a LAN browser. */
  transport: 'ipc' | 'ws'
}

type Handler<K extends CommandName> = (params: CommandParams<K> & {}, ctx: UiContext) => Promise<CommandResult<K>> | CommandResult<K>
type TopicHandler<K extends TopicName> = (params: TopicParams<K> & {}, ctx: UiContext, emit: (event: TopicEvent<K>) => void) => () => void

interface Entry {
  perm: Permission | null
  fn: (params: unknown, ctx: UiContext, emit?: (e: unknown) => void) => unknown
}

/**
 * The core side of the UI API: rooms register handlers for the commands and topics declared in
 * src/shared/ui-api; every call is schema-checked and permission-checked here, whatever the transport.
 */
export class UiRouter {
  #commands = new Map<string, Entry>()
  #topics = new Map<string, Entry>()
  #log: Logger
  #anonymousRead: boolean

  constructor(log: Logger, anonymousRead: boolean) {
    this.#log = log.child({ area: 'uiapi' })
    this.#anonymousRead = anonymousRead
  }

  /** `perm` null = anyone, including anonymous. */
  handle<K extends CommandName>(method: K, perm: Permission | null, fn: Handler<K>): void {
    if (!(method in uiApi.commands)) throw new Error(`UI API has no command ${method}`)
    this.#commands.set(method, { perm, fn: fn as Entry['fn'] })
  }

  topic<K extends TopicName>(name: K, perm: Permission | null, fn: TopicHandler<K>): void {
    if (!(name in uiApi.topics)) throw new Error(`UI API has no topic ${name}`)
    this.#topics.set(name, { perm, fn: fn as Entry['fn'] })
  }

  /** Every registered command with the permission it needs (null = anyone): the security suite checks each. */
  commands(): Array<{ method: string; permission: Permission | null }> {
    return [...this.#commands].map(([method, e]) => ({ method, permission: e.perm }))
  }

  async call(method: string, rawParams: unknown, ctx: UiContext): Promise<unknown> {
    const def = (uiApi.commands as Record<string, { params: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } } } }>)[method]
    const entry = this.#commands.get(method)
    if (!def || !entry) throw new UiError('unknown_method', `Unknown method ${method}`)
    this.#authorize(entry.perm, ctx)
    const parsed = def.params.safeParse(rawParams ?? {})
    if (!parsed.success) throw new UiError('invalid_params', describe(parsed.error!.issues))
    try {
      return await entry.fn(parsed.data, ctx)
    } catch (err) {
      throw this.#asUiError(err, method)
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(topic: string, rawParams: unknown, ctx: UiContext, emit: (event: unknown) => void): () => void {
    const def = (uiApi.topics as Record<string, { params: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } } } }>)[topic]
    const entry = this.#topics.get(topic)
    if (!def || !entry) throw new UiError('unknown_topic', `Unknown topic ${topic}`)
    this.#authorize(entry.perm, ctx)
    const parsed = def.params.safeParse(rawParams ?? {})
    if (!parsed.success) throw new UiError('invalid_params', describe(parsed.error!.issues))
    return entry.fn(parsed.data, ctx, emit) as () => void
  }

  #authorize(perm: Permission | null, ctx: UiContext): void {
    if (perm === null) return
    if (can(ctx.principal, perm, this.#anonymousRead)) return
    if (ctx.principal.username === null) throw new UiError('unauthenticated', 'Log in first')
    throw new UiError('forbidden', `Permission denied (needs ${perm})`)
  }

  #asUiError(err: unknown, method: string): UiError {
    if (err instanceof UiError) return err
    const named = err as { name?: string; code?: string; message?: string }
    if (named?.name === 'ZodError') return new UiError('invalid_params', named.message ?? 'Invalid parameters')
    if (named?.name === 'AuthError') {
      const code = named.code === 'not_found' ? 'not_found' : named.code === 'throttled' ? 'rate_limited' : 'conflict'
      return new UiError(code, named.message ?? 'Refused')
    }
    this.#log.error({ err, method }, 'UI API handler failed')
    return new UiError('internal', 'Internal error')
  }
}

export function toErrorShape(err: unknown): UiErrorShape {
  if (err instanceof UiError) return { code: err.code, message: err.message }
  return { code: 'internal', message: 'Internal error' }
}

function describe(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ')
}
