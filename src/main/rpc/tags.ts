// Tag numbers of the RPC hub. Base tags follow upstream AcSignalRTags; Pitwall's own tags are below.
// Browser-safe. Reference: docs/api/rpc.md.

export const BaseTags = {
  None: 0,
  Ping: 90001,
  Echo: 90002,
} as const

export const RpcTags = {
  ...BaseTags,
  /** Camera: get the state (all keys, or the given ones); set keys. Same keys/permissions as /api/v1. */
  CameraGet: 1000,
  CameraSet: 1001,
  /** Broadcast: a confirmed camera change, `{ key: value }`. */
  CameraChanged: 1002,
  /** Timing: the whole session state now. */
  TimingSnapshot: 1100,
  /** Timing: subscribe (true) / unsubscribe (false) this connection to timing patches. */
  TimingSubscribe: 1101,
  /** Broadcast to subscribers: a session patch / a car patch (RedMist semantics: null = unchanged). */
  TimingSessionPatch: 1102,
  TimingCarPatch: 1103,
  /** Messaging: publish on a bus topic. */
  MessagingPublish: 1200,
  /** Run plan DataSource: the five CRUD tags (SignalRCrudTags order: getAll, getItem, add, update, remove). */
  RunPlanGetAll: 1300,
  RunPlanGetItem: 1301,
  RunPlanAdd: 1302,
  RunPlanUpdate: 1303,
  RunPlanRemove: 1304,
  /** Broadcasts to the other clients after a change: the stored item (added/updated) or `{ id, rev }` (removed). */
  RunPlanAdded: 1310,
  RunPlanUpdated: 1311,
  RunPlanRemoved: 1312,
} as const

/** Who receives a handler's broadcast, under its send-to-others tag. */
export type SendToClientType = 'None' | 'Others' | 'Caller' | 'All'

/** The five tags of one DataSource (upstream SignalRCrudTags). */
export interface CrudTags {
  getAll: number
  getItem: number
  add: number
  update: number
  remove: number
}

export const RunPlanCrudTags: CrudTags = {
  getAll: RpcTags.RunPlanGetAll,
  getItem: RpcTags.RunPlanGetItem,
  add: RpcTags.RunPlanAdd,
  update: RpcTags.RunPlanUpdate,
  remove: RpcTags.RunPlanRemove,
}

/** Error codes of a reply with Status = Error (data = `{ code, message }`, SignalDataType "RpcError"). */
export type RpcErrorCode =
  | 'unknown_tag'
  | 'bad_signal_params'
  | 'missing_parameter'
  | 'too_many_parameters'
  | 'invalid_params'
  | 'invalid_data'
  | 'payload_too_large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'limit_reached'
  | 'unavailable'
  | 'timeout'
  | 'connection_lost'
  | 'internal'

export interface RpcErrorData {
  code: RpcErrorCode
  message: string
}

export const RPC_ERROR_TYPE = 'RpcError'

/** A failed call, on either side. */
export class RpcError extends Error {
  override name = 'RpcError'
  readonly code: RpcErrorCode
  constructor(code: RpcErrorCode, message: string) {
    super(message)
    this.code = code
  }
  toData(): RpcErrorData {
    return { code: this.code, message: this.message }
  }
}
