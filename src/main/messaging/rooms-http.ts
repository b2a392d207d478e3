import type { FastifyReply, FastifyRequest } from 'fastify'
import { can } from '../../shared/auth.ts'
import type { LanServer } from '../lan/index.ts'
import { RoomsError, type RoomsServer } from './rooms.ts'

type Req = FastifyRequest<{ Params: { roomId: string; connectionId: string }; Body: Record<string, unknown> | undefined }>

/** The rooms API's HTTP endpoints (`/websocket/rooms…`, `/websocket/clients…`): reads follow anonymousRead, changes need Messages_rw. */
export function mountRoomsHttp(lan: LanServer, rooms: RoomsServer, anonymousRead: boolean): void {
  const app = lan.http
  const write = { preHandler: lan.requirePermission('Messages_rw') }
  const read = {
    preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
      let p
      try {
        p = await lan.principalOf(req)
      } catch (err) {
        return reply.code(401).send({ success: false, error: (err as Error).message || 'Invalid token' })
      }
      if (!can(p, 'Messages_r', anonymousRead)) return reply.code(p.username ? 403 : 401).send({ success: false, error: p.username ? 'Permission denied' : 'Authentication required' })
      return undefined
    },
  }
  const body = (req: Req) => (req.body && typeof req.body === 'object' ? req.body : {})

  app.get('/websocket/rooms', read, async () => {
    const list = rooms.getAllRooms()
    return { success: true, rooms: list, count: list.length }
  })
  app.get('/websocket/rooms/:roomId', read, async (req: Req, reply) => {
    const room = rooms.getRoomInfo(req.params.roomId)
    return room ? { success: true, room } : reply.code(404).send({ success: false, error: 'Room not found' })
  })
  app.post('/websocket/rooms', write, async (req: Req, reply) => {
    const { name, description, maxConnections } = body(req)
    if (typeof name !== 'string' || !name.trim()) return reply.code(400).send({ success: false, error: 'Room name is required' })
    if (description !== undefined && typeof description !== 'string') return reply.code(400).send({ success: false, error: 'description must be a string' })
    if (maxConnections !== undefined && typeof maxConnections !== 'number') return reply.code(400).send({ success: false, error: 'maxConnections must be a number' })
    try {
      const roomId = rooms.createRoom(name, description, maxConnections)
      return { success: true, roomId, message: 'Room created successfully' }
    } catch (err) {
      if (err instanceof RoomsError) return reply.code(400).send({ success: false, error: err.message })
      throw err
    }
  })
  app.delete('/websocket/rooms/:roomId', write, async (req: Req, reply) =>
    rooms.deleteRoom(req.params.roomId) ? { success: true, message: 'Room deleted' } : reply.code(404).send({ success: false, error: 'Room not found' }),
  )
  app.post('/websocket/rooms/:roomId/message', write, async (req: Req, reply) => {
    const { message } = body(req)
    if (typeof message !== 'string' || !message) return reply.code(400).send({ success: false, error: 'Message is required' })
    if (!rooms.getRoomInfo(req.params.roomId)) return reply.code(404).send({ success: false, error: 'Room not found' })
    const user = (req as Req & { principal?: { username: string | null } }).principal?.username ?? null
    rooms.sendRoomMessage(req.params.roomId, message, { user })
    return { success: true, message: 'Message sent to room successfully' }
  })
  for (const action of ['join', 'leave'] as const) {
    app.post(`/websocket/rooms/:roomId/${action}`, write, async (req: Req, reply) => {
      const { connectionId } = body(req)
      if (typeof connectionId !== 'string' || !connectionId) return reply.code(400).send({ success: false, error: 'Connection ID is required' })
      if (!rooms.getRoomInfo(req.params.roomId)) return reply.code(404).send({ success: false, error: 'Room not found' })
      if (!rooms.getClientInfo(connectionId)) return reply.code(404).send({ success: false, error: 'Client not found' })
      const ok = action === 'join' ? rooms.joinRoom(connectionId, req.params.roomId) : rooms.leaveRoom(connectionId, req.params.roomId)
      if (!ok) return reply.code(409).send({ success: false, error: action === 'join' ? 'Failed to join room (full, already a member, or not a rooms connection)' : 'Failed to leave room (not a member)' })
      return { success: true, message: action === 'join' ? 'Joined room successfully' : 'Left room successfully' }
    })
  }
  app.get('/websocket/clients/:connectionId', read, async (req: Req, reply) => {
    const client = rooms.getClientInfo(req.params.connectionId)
    return client ? { success: true, client } : reply.code(404).send({ success: false, error: 'Client not found' })
  })
  app.get('/websocket/clients/:connectionId/rooms', read, async (req: Req, reply) => {
    if (!rooms.getClientInfo(req.params.connectionId)) return reply.code(404).send({ success: false, error: 'Client not found' })
    const list = rooms.getUserRooms(req.params.connectionId)
    return { success: true, rooms: list, count: list.length }
  })
}
