// The app-facing side of a hub: send to clients, groups, client results, lifetime hooks.
import type { HubConnectionInfo } from './hub.ts'

/** Something messages can be sent to: all clients, a group, a user, one connection... */
export interface ClientProxy {
  /** Invokes `target` on every client in this set (fire-and-forget Invocation, no result). */
  send(target: string, ...args: unknown[]): void
}

/**
 * Everything the rest of the app does with a hub (like ASP.NET Core's IHubContext), returned by
 * `HubServer.addHub()` and handed to every method call as `call.hub`.
 */
export interface HubContext {
  /** The hub's URL path, e.g. "/hubs/diag". */
  readonly path: string
  readonly all: ClientProxy
  allExcept(connectionIds: readonly string[]): ClientProxy
  client(connectionId: string): ClientProxy
  clients(connectionIds: readonly string[]): ClientProxy
  /** Every connection of a user (Principal.username). */
  user(userId: string): ClientProxy
  users(userIds: readonly string[]): ClientProxy
  group(name: string): ClientProxy
  groups(names: readonly string[]): ClientProxy
  groupExcept(name: string, excludedConnectionIds: readonly string[]): ClientProxy
  /** Adds a connection to a group; unknown connections are ignored. Group names: 1-256 characters. */
  addToGroup(connectionId: string, group: string): void
  removeFromGroup(connectionId: string, group: string): void
  /** Invokes `target` on one client and resolves with its return value (client results). Rejects with a HubError on error, timeout or disconnect. */
  invokeClient(connectionId: string, target: string, args: unknown[], opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<unknown>
  connection(connectionId: string): HubConnectionInfo | undefined
  /** Open connections (handshake done). */
  readonly connectionCount: number
  /** Runs after a connection's handshake; returns an unsubscribe function. */
  onConnected(fn: (connection: HubConnectionInfo) => void): () => void
  onDisconnected(fn: (connection: HubConnectionInfo, error: string | undefined) => void): () => void
}
