/**
 * SignalR hub server for Node, written to the ASP.NET Core specs (HubProtocol.md, TransportProtocols.md)
 * and proven with the official `@microsoft/signalr` client. Docs: docs/api/signalr.md.
 *
 * ## Serving a hub
 * ```ts
 * import { z } from 'zod'
 * import { HubServer, defineHub, method, streamMethod, clientStream, HubError } from '../signalr/index.ts'
 *
 * const server = new HubServer({ lan: ctx.lan, log: ctx.log, ...ctx.config.signalr, anonymousRead: ctx.config.anonymousRead })
 * const hub = server.addHub('/hubs/thing', defineHub({
 *   methods: {
 *     // args: one zod schema per argument; a bad argument is a Completion error, never a crash
 *     Add: method([z.number(), z.number()], (_call, a, b) => a + b),
 *     // per-method permission (src/shared/auth.ts); HubError's message reaches the client
 *     Reset: method([], () => { throw new HubError('not now') }, { permission: 'System_rw' }),
 *     // server-to-client stream (client `connection.stream('Ticks', 3)`), cancellable: watch call.signal
 *     Ticks: streamMethod([z.number().int()], async function* (call, n) { for (let i = 1; i <= n && !call.signal.aborted; i++) yield i }),
 *     // client-to-server stream (client passes a Subject): the handler gets an AsyncIterable
 *     Sum: method([clientStream(z.number())], async (_call, items) => { let s = 0; for await (const x of items) s += x; return s }),
 *     Join: method([z.string()], (call, g) => call.hub.addToGroup(call.connection.connectionId, g)),
 *   },
 *   onConnected: (conn, hub) => hub.client(conn.connectionId).send('Welcome', conn.userId),
 *   onDisconnected: (conn, error) => {},
 * }), { transports: ['WebSockets'], maxParallelInvocations: 4, permission: 'Timing_r' })
 *
 * hub.all.send('Tick', 1)                    // also allExcept(ids), client(id), user(name), group(g), groupExcept(g, ids)
 * const answer = await hub.invokeClient(connectionId, 'Confirm', ['ok?'])  // client results
 * ```
 * Construct the HubServer before `lan.listen()` (it installs one Fastify onRequest hook); `addHub` may
 * be called later. In the app it is `ctx.signalr` (created by createCore from `config.signalr`).
 * Method names match case-insensitively. The user of a connection comes from the JWT in
 * `Authorization: Bearer` or `?access_token=` (verified by ctx.auth via `lan.principalOf`); later
 * requests of the same connection must carry the same user, and the connection is closed when that
 * login session ends. Browser requests must come from the server's own origin or `allowedOrigins`
 * (CORS answers for those). `server.hubs()` lists hubs and connection counts.
 *
 * Errors reach the client as Completion errors: `HubError` → "An unexpected error occurred invoking
 * 'M' on the server. HubException: <message>"; other exceptions → the same without details (logged);
 * bad arguments → "Failed to invoke 'M': argument N: <reason>."; missing permission → "Failed to
 * invoke 'M' because user is unauthorized". Every queue is bounded (see HubOptions); exceeding a bound
 * closes that connection with a Close message saying why.
 *
 * ## Own protocols
 * Implement {@link HubProtocol} (name, version, transferFormat, parse(bytes) → HubMessage[], write(msg) →
 * bytes) and pass it in `addHub(path, def, { protocols: [myProtocol] })`. `parse` receives one whole
 * transport message and throws {@link HubProtocolError} for anything malformed or truncated: the server
 * then closes that connection with the error; no other connection is affected. The handshake stays JSON.
 */
export { HubServer, type HubServerOptions } from './server.ts'
export type { HubOptions } from './runtime.ts'
export type { ClientProxy, HubContext } from './context.ts'
export {
  ALL_TRANSPORTS,
  type ArgSpec,
  type ArgValues,
  type CallContext,
  clientStream,
  defineHub,
  type HubConnectionInfo,
  type HubDefinition,
  HubError,
  type HubMethod,
  method,
  type MethodOptions,
  streamMethod,
  type StreamParam,
  type TransportName,
} from './hub.ts'
export { type HandshakeRequest, type HubProtocol, HubProtocolError, parseHandshake, RECORD_SEPARATOR, type TransferFormat, writeHandshakeResponse } from './protocol.ts'
export * from './messages.ts'
export { JsonHubProtocol } from './json-protocol.ts'
export { frame as frameVarInt, MessagePackHubProtocol, splitFrames as splitVarIntFrames } from './msgpack-protocol.ts'
export type { Connection } from './connection.ts'
