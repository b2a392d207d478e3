import { RpcClient, RpcError, type RpcProtocolName, RpcTags } from '../../main/rpc/index.ts'
import { CliError, type Command, intFlag, parseFlags } from '../command.ts'

const HELP = `Usage: pitwall rpc call TAG [PARAM...] [options]
       pitwall rpc listen TAG [TAG...] [options]

Talks to a Pitwall tag RPC hub (/hubs/rpc) — for integrators checking a tag by hand.
'call' sends one request and prints the answer as JSON; 'listen' prints broadcasts as JSON lines
until interrupted. TAG is a number or a name (${Object.keys(RpcTags).slice(1, 6).join(', ')}, …).
Each PARAM is one parameter, parsed as JSON when it is valid JSON, else taken as a string.

Options:
  --url URL              server (default http://127.0.0.1:8080)
  --user NAME            log in with this user (asks /api/login; also --password)
  --password PW
  --token TOKEN          a login token instead of --user/--password
  --protocol NAME        acbinary (default) | json | messagepack
  --data JSON            the data argument (postDataAsync) instead of parameters
  --timeout MS           answer timeout (default 10000)
  -h, --help             this text`

const TAGS = RpcTags as Record<string, number>

export const rpc: Command = {
  summary: 'call a tag on a tag RPC hub, or listen to its broadcasts',
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        url: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        token: { type: 'string' },
        protocol: { type: 'string' },
        data: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    )
    if (values.help) {
      console.log(HELP)
      return 0
    }
    const [action, ...rest] = positionals
    if (action !== 'call' && action !== 'listen') throw new CliError("give 'call TAG [PARAM...]' or 'listen TAG [TAG...]' (see --help)")
    if (rest.length === 0) throw new CliError(`${action} needs a TAG`)
    const tags = (action === 'call' ? rest.slice(0, 1) : rest).map(tagOf)
    const params = action === 'call' ? rest.slice(1).map(parseParam) : []
    const data = values.data === undefined ? undefined : parseJson(values.data, '--data')
    const protocol = (values.protocol ?? 'acbinary') as RpcProtocolName
    if (!['acbinary', 'json', 'messagepack'].includes(protocol)) throw new CliError(`--protocol must be acbinary, json or messagepack, got '${values.protocol}'`)
    const base = (values.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
    if (!/^https?:\/\//.test(base)) throw new CliError(`--url must start with http:// or https://, got '${base}'`)
    const timeoutMs = intFlag(values.timeout, 'timeout', 1, 600_000) ?? 10_000
    const token = values.token ?? (values.user ? await login(base, values.user, values.password ?? '') : undefined)
    const client = new RpcClient({ url: `${base}/hubs/rpc`, protocol, timeoutMs, reconnectDelays: false, ...(token ? { accessTokenFactory: () => token } : {}) })
    try {
      await client.start()
    } catch (err) {
      throw new CliError(`cannot connect to ${base}/hubs/rpc: ${(err as Error).message}`, 1)
    }
    try {
      if (action === 'call') {
        const tag = tags[0]!
        const result = data === undefined ? await client.postAsync(tag, params) : await client.postDataAsync(tag, data)
        console.log(JSON.stringify(result, printable, 2))
        return 0
      }
      // Timing patches go to subscribers only: subscribe when asked to listen to them.
      if (tags.some((t) => t === RpcTags.TimingCarPatch || t === RpcTags.TimingSessionPatch)) await client.postAsync(RpcTags.TimingSubscribe)
      for (const t of tags) client.on(t, (r) => console.log(JSON.stringify({ tag: r.tag, type: r.signalParams.SignalDataType, data: r.data }, printable)))
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        client.connection.onclose(() => resolve())
      })
      return 0
    } catch (err) {
      if (err instanceof RpcError) throw new CliError(`${err.code}: ${err.message}`, 1)
      throw err
    } finally {
      await client.stop().catch(() => {})
    }
  },
}

function tagOf(s: string): number {
  if (/^\d+$/.test(s)) return Number(s)
  const n = TAGS[s] ?? Object.entries(TAGS).find(([k]) => k.toLowerCase() === s.toLowerCase())?.[1]
  if (n === undefined) throw new CliError(`unknown tag '${s}': give a number or one of ${Object.keys(TAGS).join(', ')}`)
  return n
}

function parseParam(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return s
  }
}

function parseJson(s: string, what: string): unknown {
  try {
    return JSON.parse(s)
  } catch (err) {
    throw new CliError(`${what} is not valid JSON: ${(err as Error).message}`)
  }
}

/** Bytes print as hex, bigints as strings. */
function printable(_k: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join(' ')
  if (typeof v === 'bigint') return v.toString()
  return v
}

async function login(base: string, username: string, password: string): Promise<string> {
  let res: Response
  try {
    res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  } catch (err) {
    throw new CliError(`cannot reach ${base}: ${(err as Error).message}`, 1)
  }
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string }
  if (!res.ok || !body.token) throw new CliError(`login failed: ${body.error ?? res.status}`, 1)
  return body.token
}
