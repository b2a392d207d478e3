// Child process of camera-broadcast.bench.ts: holds the WebSocket clients (one group per subject, both
// connected at once so rounds can alternate tightly), so the server's event loop is not shared with
// them. Records the arrival time (absolute, high resolution) of every message.
import { WebSocket } from 'ws'

type Cmd =
  | { cmd: 'connect'; group: string; url: string; n: number }
  | { cmd: 'reset'; group: string }
  | { cmd: 'count'; group: string }
  | { cmd: 'collect'; group: string; sent: number[] }
  | { cmd: 'close' }

interface Group {
  sockets: WebSocket[]
  arrivals: number[][]
}

const now = () => performance.timeOrigin + performance.now()
const groups = new Map<string, Group>()

process.on('message', async (m: Cmd) => {
  switch (m.cmd) {
    case 'connect': {
      const g: Group = { sockets: [], arrivals: [] }
      groups.set(m.group, g)
      // open in small parallel batches: fast, without a thundering herd of handshakes
      for (let i = 0; i < m.n; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, m.n - i) }, (_, j) => {
            const list: number[] = []
            g.arrivals[i + j] = list
            const ws = new WebSocket(m.url, { perMessageDeflate: false })
            ws.on('message', () => list.push(now()))
            return new Promise<WebSocket>((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject))
          }),
        )
        g.sockets.push(...batch)
      }
      process.send!({ connected: g.sockets.length })
      break
    }
    case 'reset':
      for (const a of groups.get(m.group)!.arrivals) a.length = 0
      process.send!({ reset: true })
      break
    case 'count':
      process.send!({ count: groups.get(m.group)!.arrivals.reduce((n, a) => n + a.length, 0) })
      break
    case 'collect': {
      const lat: number[] = []
      let last = 0
      for (const a of groups.get(m.group)!.arrivals) {
        for (let k = 0; k < a.length && k < m.sent.length; k++) lat.push(a[k]! - m.sent[k]!)
        if (a.length) last = Math.max(last, a[a.length - 1]!)
      }
      process.send!({ deliveries: lat.length, first: m.sent[0], last, lat })
      break
    }
    case 'close':
      for (const g of groups.values()) for (const ws of g.sockets) ws.terminate()
      groups.clear()
      process.send!({ closed: true })
      break
  }
})
process.send!({ ready: true })
