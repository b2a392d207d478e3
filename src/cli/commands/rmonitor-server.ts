import { readFileSync } from 'node:fs'
import { RaceGenerator } from '../../main/timing/rmonitor/generator.ts'
import { parseRecord, type RMonitorRecord } from '../../main/timing/rmonitor/parser.ts'
import { CapturePlayer, parseSpeed } from '../../main/timing/rmonitor/replay.ts'
import { RMonitorServer } from '../../main/timing/rmonitor/server.ts'
import { CliError, type Command, intFlag, parseFlags } from '../command.ts'

const HELP = `Usage: pitwall rmonitor-server (--generate [--cars N] | --file FILE [--speed X|max]) [options]

Serves RMonitor over TCP like MyLaps Orbits does (one record per CRLF line), for Pitwall's
'rmonitor:HOST:PORT' source or any RMonitor client. Each new client first gets the current picture
(run, track, classes, competitors, positions), then the live stream.

Options:
  --generate             a generated race (multi-class, pit stops, yellow/red flags, finish, then a new race)
  --cars N               cars in the generated race (default 40)
  --classes N            classes in the generated race (1-4; default by field size)
  --minutes N            race length in minutes (default 45)
  --seed N               random seed (same seed, same race)
  --file FILE            replay a capture (##timestamp batches, or an Orbits log paced by its heartbeats)
  --speed X              replay/generation speed factor, or 'max' for a file (default 1)
  --loop                 start the file again at its end
  --host ADDR            interface (default 0.0.0.0)
  --port N               TCP port (default 50000, Orbits' port; 0 = any free port)
  -h, --help             this text`

export const rmonitorServer: Command = {
  summary: 'serve RMonitor over TCP (generated race or a capture), like Orbits',
  async run(argv) {
    const { values } = parseFlags(argv, {
      generate: { type: 'boolean' },
      cars: { type: 'string' },
      classes: { type: 'string' },
      minutes: { type: 'string' },
      seed: { type: 'string' },
      file: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    })
    if (values.help) {
      console.log(HELP)
      return 0
    }
    if (!values.generate === !values.file) throw new CliError('give exactly one of --generate or --file FILE')
    const port = intFlag(values.port, 'port', 0, 65535) ?? 50000
    const speed = parseSpeed(values.speed)
    if (speed === null) throw new CliError(`--speed must be a positive number or 'max', got '${values.speed}'`)
    const server = new RMonitorServer()
    let stop: () => void
    let text = ''
    if (values.file) {
      try {
        text = readFileSync(values.file, 'latin1')
      } catch (err) {
        throw new CliError(`cannot read ${values.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
    }
    let addr: { host: string; port: number }
    try {
      addr = await server.listen(port, values.host ?? '0.0.0.0')
    } catch (err) {
      throw new CliError(`cannot listen on port ${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    if (values.generate) {
      if (speed === 'max') throw new CliError("--speed max is for --file; a generated race runs at a factor (e.g. --speed 10)")
      const cars = intFlag(values.cars, 'cars', 1, 500) ?? 40
      const classes = intFlag(values.classes, 'classes', 1, 4)
      const gen = new RaceGenerator({
        cars,
        seed: intFlag(values.seed, 'seed', 0, 2 ** 31) ?? Date.now() & 0xffff,
        durationMinutes: intFlag(values.minutes, 'minutes', 1, 24 * 60) ?? 45,
        ...(classes ? { classes: ['GTP', 'LMP2', 'GTD PRO', 'GTD'].slice(0, classes) } : {}),
      })
      server.broadcast(gen.begin())
      const started = Date.now()
      const timer = setInterval(() => {
        for (const b of gen.advance((Date.now() - started) * speed)) server.broadcast(b.records)
      }, 100)
      stop = () => clearInterval(timer)
      console.log(`RMonitor server on ${addr.host}:${addr.port}: generated race, ${cars} cars, speed ${speed}`)
    } else {
      let player: CapturePlayer
      const play = () => {
        player = new CapturePlayer(text, {
          speed,
          onBatch: (b) => {
            const parsed: RMonitorRecord[] = []
            for (const l of b.lines) {
              const r = parseRecord(l)
              if (r.ok) parsed.push(r.record)
            }
            server.broadcastLines(b.lines, parsed)
          },
          onEnd: () => {
            if (values.loop) play()
            else console.log(`${values.file}: end of capture (${server.sent} records sent); still serving the final state`)
          },
        })
        player.start()
      }
      play()
      stop = () => player.stop()
      console.log(`RMonitor server on ${addr.host}:${addr.port}: ${values.file} at speed ${speed}`)
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        stop()
        void server.close().then(resolve)
      }
      process.once('SIGINT', done)
      process.once('SIGTERM', done)
    })
    return 0
  },
}
