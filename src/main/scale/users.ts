import type { Auth, UserChange } from '../auth/index.ts'
import type { Backplane } from './backplane.ts'

const KEY = 'pw:users'

/**
 * One identity across instances: users live in a Redis hash (the shared truth) and in each
 * instance's SQLite (so an instance keeps working while Redis is down). Local changes are written
 * through and announced; on every (re)connect the instance pulls the hash and adds its own users
 * that Redis lacks.
 */
export function shareUsers(backplane: Backplane, auth: Auth): () => void {
  auth.onUserChange = (change) => {
    if (!backplane.up) return
    const write = change.kind === 'upsert' ? backplane.redis.hset(KEY, change.user.username.toLowerCase(), JSON.stringify(change.user)) : backplane.redis.hdel(KEY, change.username.toLowerCase())
    write.catch(() => undefined)
    backplane.publish('auth.users', JSON.stringify(change))
  }
  const off = backplane.subscribe('auth.users', (data) => {
    try {
      auth.applyRemoteChange(JSON.parse(data.toString()) as UserChange)
    } catch {
      /* malformed announcement: ignored, the next sync repairs */
    }
  })
  const sync = async () => {
    const remote = await backplane.redis.hgetall(KEY)
    const seen = new Set<string>()
    for (const [name, json] of Object.entries(remote)) {
      seen.add(name)
      auth.applyRemoteChange({ kind: 'upsert', user: JSON.parse(json) })
    }
    for (const u of auth.storedUsers()) {
      if (!seen.has(u.username.toLowerCase())) await backplane.redis.hset(KEY, u.username.toLowerCase(), JSON.stringify(u))
    }
  }
  const onState = (state: string) => {
    if (state === 'connected') sync().catch(() => undefined)
  }
  backplane.on('state', onState)
  if (backplane.up) void sync().catch(() => undefined)
  return () => {
    off()
    backplane.off('state', onState)
    auth.onUserChange = undefined
  }
}
