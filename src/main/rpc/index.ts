// The tag RPC room: the acbinary hub protocol, OnReceiveMessage dispatch, the client, Pitwall's tags.
// codec, hub-protocol, signal-params, tags, json-gzip, client and datasource are browser-safe.
export * from './codec.ts'
export * from './hub-protocol.ts'
export * from './signal-params.ts'
export * from './tags.ts'
export { RpcServer, defineTag, typeKey, type RpcPeer, type RpcCall, type TagDef, type RpcServerOptions } from './server.ts'
export { RpcClient, createProtocol, decodeRaw, type RpcClientOptions, type RpcResponse, type CallOptions, type RpcProtocolName } from './client.ts'
export { RpcDataSource, type DataSourceTags, type DataSourceChange, type TrackingState } from './datasource.ts'
export { RunPlanService } from './runplan.ts'
export { registerPitwallTags, type CameraPort, type TimingPort, type MessagingPort } from './pitwall-tags.ts'
export { createRpcEngine, AcBinaryServerProtocol, RPC_HUB_PATH, type RpcEngine, type RpcEngineDeps } from './engine.ts'
export { rpcMessagingPort } from './messaging-port.ts'
