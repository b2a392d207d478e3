// Child process of camera-broadcast.bench.ts: holds the WebSocket clients, so the server's event loop
// is not shared with them. Records the arrival time (absolute, high resolution) of every message.
import { WebSocket } from 'ws'

type Cmd = { cmd: 'connect'; url: string; n: number } | { cmd: 'reset' } | { cmd: 'count' } | { cmd: 'collect'; sent: number[] } | { cmd: 'close' }

const now = () => performance.timeOrigin + performance.now()
let sockets: WebSocket[] = []
let arrivals: number[][] = []

process.on('message', async (m: Cmd) => {
  switch (m.cmd) {
    case 'connect': {
      sockets = []
      arrivals = []
      // open in small parallel batches: fast, without a thundering herd of handshakes
      for (let i = 0; i < m.n; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, m.n - i) }, (_, j) => {
            const idx = i + j
            arrivals[idx] = []
            const ws = new WebSocket(m.url, { perMessageDeflate: false })
            ws.on('message', () => arrivals[idx]!.push(now()))
            return new Promise<WebSocket>((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject))
          }),
        )
        sockets.push(...batch)
      }
      process.send!({ connected: sockets.length })
      break
    }
    case 'reset':
      for (const a of arrivals) a.length = 0
      process.send!({ reset: true })
      break
    case 'count':
      process.send!({ count: arrivals.reduce((n, a) => n + a.length, 0) })
      break
    case 'collect': {
      const lat: number[] = []
      let last = 0
      for (const a of arrivals) {
        for (let k = 0; k < a.length && k < m.sent.length; k++) lat.push(a[k]! - m.sent[k]!)
        if (a.length) last = Math.max(last, a[a.length - 1]!)
      }
      process.send!({ deliveries: lat.length, first: m.sent[0], last, lat })
      break
    }
    case 'close':
      for (const ws of sockets) ws.terminate()
      sockets = []
      process.send!({ closed: true })
      break
  }
})
process.send!({ ready: true })
