import { parseSpeed } from '../rmonitor/replay.ts'
import { DEFAULT_RMONITOR_PORT } from '../rmonitor/client.ts'

export type SourceSpec =
  | { kind: 'none' }
  | { kind: 'generator'; cars?: number }
  | { kind: 'rmonitor'; host: string; port: number }
  | { kind: 'replay'; file: string; speed: number | 'max' }
  | { kind: 'redmist'; url: string; eventId: number }
  /** Follows the instance that owns timing on the Redis backplane (docs/scaling.md). */
  | { kind: 'remote' }

export class SourceSpecError extends Error {
  override name = 'SourceSpecError'
}

const USAGE = 'generator | rmonitor:HOST:PORT | replay:FILE[@SPEED|@max] | redmist:URL#EVENTID | remote | none'

/** Parses `--timing` / config.timing.source. Throws SourceSpecError with a one-line reason. */
export function parseSourceSpec(spec: string): SourceSpec {
  const s = spec.trim()
  if (s === 'none' || s === '') return { kind: 'none' }
  if (s === 'generator') return { kind: 'generator' }
  if (s === 'remote') return { kind: 'remote' }
  const m = /^generator:(\d{1,3})$/.exec(s)
  if (m) {
    const cars = Number(m[1])
    if (cars < 1 || cars > 200) throw new SourceSpecError(`timing source '${spec}': cars must be 1..200`)
    return { kind: 'generator', cars }
  }
  if (s.startsWith('rmonitor:')) {
    const rest = s.slice('rmonitor:'.length)
    // HOST, HOST:PORT, or [v6]:PORT
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
    let host: string
    let portText: string | undefined
    if (v6) [host, portText] = [v6[1]!, v6[2]]
    else {
      const i = rest.lastIndexOf(':')
      ;[host, portText] = i < 0 ? [rest, undefined] : [rest.slice(0, i), rest.slice(i + 1)]
    }
    const port = portText === undefined ? DEFAULT_RMONITOR_PORT : Number(portText)
    if (!host) throw new SourceSpecError(`timing source '${spec}': missing host (${USAGE})`)
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SourceSpecError(`timing source '${spec}': port must be 1..65535`)
    return { kind: 'rmonitor', host, port }
  }
  if (s.startsWith('replay:')) {
    const rest = s.slice('replay:'.length)
    const at = rest.lastIndexOf('@')
    const [file, speedText] = at > 0 ? [rest.slice(0, at), rest.slice(at + 1)] : [rest, undefined]
    if (!file) throw new SourceSpecError(`timing source '${spec}': missing file (${USAGE})`)
    const speed = parseSpeed(speedText)
    if (speed === null) throw new SourceSpecError(`timing source '${spec}': speed must be a positive number or 'max'`)
    return { kind: 'replay', file, speed }
  }
  if (s.startsWith('redmist:')) {
    const rest = s.slice('redmist:'.length)
    const hash = rest.lastIndexOf('#')
    if (hash < 0) throw new SourceSpecError(`timing source '${spec}': missing #EVENTID (${USAGE})`)
    const url = rest.slice(0, hash)
    const eventId = Number(rest.slice(hash + 1))
    if (!Number.isInteger(eventId) || eventId < 1) throw new SourceSpecError(`timing source '${spec}': event id must be a positive integer`)
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new SourceSpecError(`timing source '${spec}': '${url}' is not a URL`)
    }
    if (!/^(https?|wss?):$/.test(parsed.protocol)) throw new SourceSpecError(`timing source '${spec}': URL must be http(s) or ws(s)`)
    return { kind: 'redmist', url, eventId }
  }
  throw new SourceSpecError(`unknown timing source '${spec}' (${USAGE})`)
}
