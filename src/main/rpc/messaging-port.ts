// The messaging room seen from the RPC hub: a publish on the bus, with the same topic rules as the
// messaging APIs (no wildcards, reserved roots are Pitwall's own), stored in history like any message.
import type { Principal } from '../../shared/auth.ts'
import { checkTopic, type MessagingEngine, RESERVED_ROOTS } from '../messaging/index.ts'
import type { MessagingPort } from './pitwall-tags.ts'
import { RpcError } from './tags.ts'

export function rpcMessagingPort(engine: MessagingEngine): MessagingPort {
  return {
    async publish(topic: string, payload: unknown, from: Principal) {
      const t = checkTopic(topic)
      if (!t.ok) throw new RpcError('invalid_params', `parameter 0 (topic) of MessagingPublish: ${t.reason}`)
      if (RESERVED_ROOTS.has(topic.split('.')[0]!)) throw new RpcError('forbidden', `topic ${topic} is published by Pitwall itself`)
      const { pub, recipients } = await engine.hub.publish({ topic, payload, from: { user: from.username, dialect: 'server' } })
      return { messageId: pub.messageId, offset: pub.offset ?? null, recipients }
    },
  }
}
