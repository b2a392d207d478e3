// The byte examples of docs/protocols/binary-hub-protocol.md: name → the value or message they encode.
// vectors.test.ts checks that every example in the doc has an entry here and that both agree exactly.
import type { HubMessage } from '@microsoft/signalr'
import { Guid } from '../../../src/main/rpc/codec.ts'
import { packParameters, signalParams, signalParamsWire } from '../../../src/main/rpc/signal-params.ts'

export const valueVectors: Record<string, unknown> = {
  null: null,
  true: true,
  false: false,
  zero: 0,
  'minus-one': -1,
  'tiny-max': 47,
  'tiny-min': -16,
  'int-48': 48,
  'int-300': 300,
  'int-minus-17': -17,
  'int-max': 2147483647,
  'int64-2^40': 2 ** 40,
  'double-1.5': 1.5,
  'empty-string': '',
  'fixstr-hi': 'hi',
  'fixstr-utf8': 'Zoë',
  'string-32': 'abcdefghijklmnopqrstuvwxyz012345',
  bytes: new Uint8Array([1, 2, 3]),
  array: [1, 'a', null],
  object: { lap: 12, pit: true },
  interned: [{ driver: 'Anna' }, { driver: 'Anna' }],
  map: new Map<unknown, unknown>([[1, 'x']]),
  date: new Date(Date.UTC(2026, 4, 1, 12, 0, 0)),
  guid: new Guid('00112233-4455-6677-8899-aabbccddeeff'),
}

const rpc = (tag: number, requestId: number | null, sp: Record<string, unknown>, data: unknown, invocationId?: string): HubMessage =>
  ({ type: 1, target: 'OnReceiveMessage', arguments: [tag, requestId, sp, data], ...(invocationId === undefined ? {} : { invocationId }) }) as HubMessage

export const frameVectors: Record<string, HubMessage> = {
  ping: { type: 6 } as HubMessage,
  close: { type: 7 } as HubMessage,
  'close-error': { type: 7, error: 'bye', allowReconnect: true } as HubMessage,
  ack: { type: 8, sequenceId: 3 } as HubMessage,
  sequence: { type: 9, sequenceId: 1 } as HubMessage,
  invocation: { type: 1, invocationId: '7', target: 'Add', arguments: [1, 2], streamIds: ['s1'], headers: { k: 'v' } } as HubMessage,
  'stream-invocation': { type: 4, invocationId: '2', target: 'Counter', arguments: [3] } as HubMessage,
  'stream-item': { type: 2, invocationId: '2', item: 1 } as HubMessage,
  'completion-void': { type: 3, invocationId: '1' } as HubMessage,
  'completion-result': { type: 3, invocationId: '1', result: 'ok' } as HubMessage,
  'completion-error': { type: 3, invocationId: '1', error: 'boom' } as HubMessage,
  cancel: { type: 5, invocationId: '2' } as HubMessage,
  'rpc-ping-request': rpc(90001, 7, {}, null, '0'),
  'rpc-echo-request': rpc(90002, 1, signalParamsWire(signalParams({ Status: 0, Parameters: packParameters(['hello']) })), null, '1'),
  'rpc-echo-response': rpc(90002, 1, signalParamsWire(signalParams({ SignalDataType: 'string' })), 'hello'),
  'rpc-int-list-response': rpc(300, 2, signalParamsWire(signalParams({ SignalDataType: 'int[]' })), [1, 2, 3, 100, -1]),
  'rpc-raw-bytes-response': rpc(301, 3, signalParamsWire(signalParams({ IsRawBytesData: true })), new Uint8Array([0xde, 0xad, 0xbe, 0xef])),
  'rpc-error-response': rpc(4242, 5, signalParamsWire(signalParams({ Status: 0, SignalDataType: 'RpcError' })), { code: 'unknown_tag', message: 'unknown tag 4242' }),
}
