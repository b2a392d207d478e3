// Hub definitions: typed methods with zod-validated arguments, per-method permissions, streams.
import type { z } from 'zod'
import type { Permission, Principal } from '../../shared/auth.ts'
import type { HubContext } from './context.ts'

/**
 * An error whose message reaches the client (like ASP.NET Core's HubException). Any other error a
 * method throws is logged and the client only sees a generic message.
 */
export class HubError extends Error {
  override name = 'HubException'
}

/** Marks a parameter as a client-to-server stream: the handler receives an AsyncIterable of items. */
export interface StreamParam<T = unknown> {
  readonly kind: 'stream'
  readonly item: z.ZodType<T>
}

/** A client-to-server stream parameter whose items are validated by `item`. */
export function clientStream<S extends z.ZodType>(item: S): StreamParam<z.output<S>> {
  return { kind: 'stream', item: item as z.ZodType<z.output<S>> }
}

export type ArgSpec = z.ZodType | StreamParam<any>
export type ArgValues<A extends readonly ArgSpec[]> = {
  [K in keyof A]: A[K] extends StreamParam<infer T> ? AsyncIterable<T> : A[K] extends z.ZodType ? z.output<A[K]> : never
}

/** What a connection looks like to hub code and to the rest of the app. */
export interface HubConnectionInfo {
  readonly connectionId: string
  /** Who opened the connection (from the JWT at negotiate / connect); ANONYMOUS when none. */
  readonly user: Principal
  /** `user.username`, the key for `HubContext.user(name)`. */
  readonly userId: string | null
  /** Free per-connection state for hub code. */
  readonly items: Map<string, unknown>
  readonly transport: TransportName
  /** Negotiated protocol name ("json", "messagepack", ...); undefined before the handshake. */
  readonly protocol: string | undefined
  readonly remoteAddress: string | undefined
  /** Closes the connection; the client gets a Close message with `error` and `allowReconnect`. */
  close(error?: string, allowReconnect?: boolean): void
}

export type TransportName = 'WebSockets' | 'ServerSentEvents' | 'LongPolling'
export const ALL_TRANSPORTS: readonly TransportName[] = ['WebSockets', 'ServerSentEvents', 'LongPolling']

/** Handed to every method call. */
export interface CallContext {
  readonly connection: HubConnectionInfo
  readonly hub: HubContext
  /** Undefined for fire-and-forget invocations (`send` on the client). */
  readonly invocationId: string | undefined
  /** Aborted when the client cancels the stream or the connection closes. */
  readonly signal: AbortSignal
}

export interface MethodOptions {
  /** Permission the caller needs (src/shared/auth.ts); without it the client gets an "unauthorized" Completion error. */
  permission?: Permission
}

export interface HubMethod {
  readonly kind: 'method' | 'stream'
  readonly args: readonly ArgSpec[]
  readonly permission: Permission | undefined
  readonly run: (call: CallContext, args: unknown[]) => unknown
}

/** A method: its return value (or resolved promise) is the Completion result; undefined = void. */
export function method<const A extends readonly ArgSpec[]>(
  args: A,
  handler: (call: CallContext, ...args: ArgValues<A>) => unknown,
  opts: MethodOptions = {},
): HubMethod {
  return { kind: 'method', args, permission: opts.permission, run: (call, a) => handler(call, ...(a as ArgValues<A>)) }
}

/** A server-to-client streaming method (client `stream()`): each yielded value is a StreamItem. */
export function streamMethod<const A extends readonly ArgSpec[]>(
  args: A,
  handler: (call: CallContext, ...args: ArgValues<A>) => AsyncIterable<unknown>,
  opts: MethodOptions = {},
): HubMethod {
  return { kind: 'stream', args, permission: opts.permission, run: (call, a) => handler(call, ...(a as ArgValues<A>)) }
}

export interface HubDefinition {
  /** Method names are matched case-insensitively, as ASP.NET Core does. */
  methods: Record<string, HubMethod>
  onConnected?: (connection: HubConnectionInfo, hub: HubContext) => void | Promise<void>
  onDisconnected?: (connection: HubConnectionInfo, error: string | undefined, hub: HubContext) => void | Promise<void>
}

export function defineHub(def: HubDefinition): HubDefinition {
  return def
}
