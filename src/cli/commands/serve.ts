import { accessSync, constants, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import { type Config, ConfigError, loadConfig, resolveDataDir } from '../../main/config/index.ts'
import { type Core, createCore } from '../../main/core/index.ts'
import { LanError } from '../../main/lan/index.ts'
import { CliError, type Command, intFlag, parseFlags } from '../command.ts'

const HELP = `Usage: pitwall serve [options]

Runs the headless server: the core, the LAN APIs and the web UI.

Options:
  --host ADDR            interface to bind (default 0.0.0.0)
  --port N               LAN server port (default 8080; 0 = any free port)
  --data-dir DIR         database, logs and recordings (default: the OS app-data folder)
  --config FILE          JSON config file (see docs/configuration.md)
  --admin-password PW    first-run admin password instead of a generated one
  --device SPEC          sim | pcp:PATH[@BAUD] | visca:PATH[@BAUD] | auto | remote (with --redis)
  --timing SPEC          generator | rmonitor:HOST:PORT | replay:FILE[@SPEED|@max] | redmist:URL#EVENTID | remote | none
  --event-id N           event id of a local timing source (default 1)
  --redis URL            redis://HOST:PORT backplane shared with other instances
  --name NAME            instance name shown to clients
  --log-level LEVEL      trace | debug | info | warn | error | silent
  --check                boot everything, self-check, stop, exit 0 (packaging smoke test)
  -h, --help             this text

Environment: PITWALL_* variables set any config key (PITWALL_PORT=9000, PITWALL_CAMERA__MAX_CLIENTS=200).`

const WEB_ROOT = fileURLToPath(new URL('../../../out/renderer', import.meta.url))

export const serve: Command = {
  summary: 'run the headless server (core, LAN APIs, web UI)',
  async run(argv) {
    const { values } = parseFlags(argv, {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'admin-password': { type: 'string' },
      device: { type: 'string' },
      timing: { type: 'string' },
      'event-id': { type: 'string' },
      redis: { type: 'string' },
      name: { type: 'string' },
      'log-level': { type: 'string' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    })
    if (values.help) {
      console.log(HELP)
      return 0
    }
    const cli: Record<string, unknown> = {
      host: values.host,
      port: intFlag(values.port, 'port', 0, 65535),
      dataDir: values['data-dir'],
      adminPassword: values['admin-password'],
      redis: values.redis,
      name: values.name,
      logLevel: values['log-level'],
      device: values.device === undefined ? undefined : { source: values.device },
      timing: values.timing === undefined && values['event-id'] === undefined ? undefined : { source: values.timing, eventId: intFlag(values['event-id'], 'event-id', 1, 2 ** 31) },
    }
    if (values.check) cli.logToConsole = false
    const config = load(cli, values.config)
    checkDataDir(resolveDataDir(config))

    // Listen for signals before booting, so Ctrl-C during start-up also ends in a clean stop.
    const signal = values.check ? undefined : nextSignal()
    let core: Core
    try {
      core = await createCore(config, { webRoot: WEB_ROOT })
    } catch (err) {
      if (err instanceof LanError || err instanceof ConfigError) throw new CliError(err.message)
      const e = err as NodeJS.ErrnoException
      if (e.code && e.path) throw new CliError(`cannot use ${e.path}: ${e.code}`)
      throw err
    }

    if (values.check) return selfCheck(core)

    if (core.firstRunPassword) {
      console.log(`\n  First run: the admin password is  ${core.firstRunPassword}  (user "admin"; shown once, stored hashed)\n`)
    }
    console.log(`Pitwall ${core.ctx.version} is running. Web UI: ${core.url}`)
    await stopOn(core, await signal!)
    return 0
  },
}

function load(cli: Record<string, unknown>, file: string | undefined): Config {
  try {
    return loadConfig({ cli, file })
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message)
    throw err
  }
}

function checkDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.R_OK | constants.W_OK)
  } catch (err) {
    throw new CliError(`data dir ${dir} is not usable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function nextSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      // A second signal while stopping: stop waiting.
      process.once('SIGINT', () => process.exit(0))
      process.once('SIGTERM', () => process.exit(0))
      resolve(signal)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

/** SIGINT/SIGTERM: close sockets, flush the database, exit 0 within 3 s. */
async function stopOn(core: Core, signal: string): Promise<void> {
  core.ctx.log.info({ signal }, 'shutting down')
  const hard = setTimeout(() => {
    console.error('pitwall serve: shutdown took longer than 3 s; exiting')
    process.exit(0)
  }, 2800)
  hard.unref()
  await core.stop().finally(() => clearTimeout(hard))
}

/** Boots everything, checks the LAN endpoints a user and the packager rely on, then stops. */
async function selfCheck(core: Core): Promise<number> {
  const base = core.url
  const problems: string[] = []
  try {
    const health = await fetch(`${base}/healthz`)
    if (!health.ok) problems.push(`/healthz answered ${health.status}`)
    const status = (await (await fetch(`${base}/api/status`)).json()) as { engines: Record<string, { state: string; detail?: string }> }
    for (const [name, s] of Object.entries(status.engines)) if (s.state === 'error') problems.push(`engine ${name}: ${s.detail ?? 'error'}`)
    const page = await fetch(`${base}/`)
    if (!page.ok) problems.push(`web UI answered ${page.status}`)
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ui`)
      const t = setTimeout(() => reject(new Error('no hello on /ui')), 3000)
      ws.once('message', () => {
        clearTimeout(t)
        ws.close()
        resolve()
      })
      ws.once('error', reject)
    })
  } catch (err) {
    problems.push((err as Error).message)
  }
  await core.stop()
  if (problems.length) {
    console.error(`pitwall serve --check: FAILED: ${problems.join('; ')}`)
    return 1
  }
  console.log(`pitwall serve --check: ok (${Object.keys(core.status().engines).length} engines, ${base})`)
  return 0
}
