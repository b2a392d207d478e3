import { EmulatorRunner, CONTROL_HELP } from '../../main/device/emulators/runner.ts'
import { parseFault } from '../../main/device/emulators/faults.ts'
import { BAUD_RATES } from '../../main/device/source.ts'
import { CliError, type Command, parseFlags } from '../command.ts'

const HELP = `Usage: pitwall emulate pcp|visca --port TTY [options]

Plays a camera controller on a serial port: a PCP controller (two heads, lights, recording) or a
Sony VISCA camera. Use one end of a socat PTY pair for the emulator and the other for Pitwall:
  socat -d -d pty,raw,echo=0,link=/tmp/dev-a pty,raw,echo=0,link=/tmp/dev-b
  pitwall emulate pcp --port /tmp/dev-b
  pitwall serve --device pcp:/tmp/dev-a

Options:
  --port TTY         serial port to open (reopened automatically when it comes back)
  --baud N           default 115200 (pcp), 9600 (visca)
  --fault KIND       start with a fault injected (none|silent|slow[:MS]|garbage|corrupt|nak)
  --frames           print every frame received and sent
  -h, --help         this text

Events are printed on stdout as JSON lines. ${CONTROL_HELP.replace('Control commands', 'Control commands on stdin')}`

export const emulate: Command = {
  summary: 'emulate a PCP controller or a VISCA camera on a serial port (tests, demos)',
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { port: { type: 'string' }, baud: { type: 'string' }, fault: { type: 'string' }, frames: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      true,
    )
    if (values.help) {
      console.log(HELP)
      return 0
    }
    const protocol = positionals[0]
    if (protocol !== 'pcp' && protocol !== 'visca') throw new CliError(`first argument must be pcp or visca, got '${protocol ?? ''}'`)
    if (positionals.length > 1) throw new CliError(`unexpected argument '${positionals[1]}'`)
    if (!values.port) throw new CliError('--port TTY is required')
    let baudRate: number | undefined
    if (values.baud !== undefined) {
      baudRate = Number(values.baud)
      if (!(BAUD_RATES as readonly number[]).includes(baudRate)) throw new CliError(`--baud must be one of ${BAUD_RATES.join(', ')}`)
    }
    const fault = values.fault === undefined ? undefined : parseFault(values.fault.split(':'))
    if (typeof fault === 'string') throw new CliError(`--fault: ${fault}`)

    const out = (e: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(e)}\n`)
    const runner = new EmulatorRunner({ protocol, port: values.port, baudRate, out, frames: values.frames })
    if (fault) (runner.pcp ?? runner.visca)!.fault = fault
    await runner.start()
    out({ event: 'ready', protocol, port: values.port })
    const stop = () => void runner.stop().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    await runner.serve(process.stdin)
    await runner.stop()
    return 0
  },
}
