import { readFileSync } from 'node:fs'
import { homedir, platform } from 'node:os'
import { join, resolve } from 'node:path'
import type { z } from 'zod'
import { type Config, configSchema } from './schema.ts'

/** A config problem, phrased as the one line a user sees before exit code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Plain = Record<string, unknown>

export interface LoadOptions {
  /** Values from CLI flags (already typed), highest precedence. */
  cli?: Plain
  /** Environment; only PITWALL_* keys are read. */
  env?: NodeJS.ProcessEnv
  /** Path of a JSON config file. */
  file?: string
}

/** CLI > environment (PITWALL_*) > config file > defaults. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env
  const file = opts.file ?? env.PITWALL_CONFIG
  const merged: Plain = {}
  if (file) deepMerge(merged, readConfigFile(file))
  deepMerge(merged, fromEnv(env))
  deepMerge(merged, opts.cli ?? {})
  return parseConfig(merged, file)
}

export function parseConfig(input: unknown, origin?: string): Config {
  const result = configSchema.safeParse(input)
  if (!result.success) throw new ConfigError(`invalid config${origin ? ` (${origin})` : ''}: ${describeIssue(result.error)}`)
  return result.data
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!
  const path = issue.path.join('.') || '(root)'
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.map((k) => [...issue.path, k].join('.')).join(', ')}`
  return `${path}: ${issue.message}`
}

function readConfigFile(file: string): Plain {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`)
  }
  if (!isPlain(value)) throw new ConfigError(`config file ${file} must hold a JSON object`)
  return value
}

/**
 * PITWALL_PORT=9000 → port; PITWALL_CAMERA__MAX_CLIENTS=200 → camera.maxClients.
 * Values are JSON when they parse as JSON (numbers, booleans, arrays), else strings.
 */
export function fromEnv(env: NodeJS.ProcessEnv): Plain {
  const out: Plain = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PITWALL_') || raw === undefined || name === 'PITWALL_CONFIG') continue
    const path = name
      .slice('PITWALL_'.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    // PITWALL_* variables that name no config section belong to tools (PITWALL_SHARED, PITWALL_HEADLESS…).
    if (!(path[0]! in configSchema.shape)) continue
    let target = out
    for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Plain
    target[path.at(-1)!] = parseEnvValue(raw)
  }
  return out
}

function parseEnvValue(raw: string): unknown {
  const t = raw.trim()
  if (/^(-?\d+(\.\d+)?|true|false|\[.*\]|\{.*\})$/s.test(t)) {
    try {
      return JSON.parse(t)
    } catch {
      return raw
    }
  }
  return raw
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function deepMerge(target: Plain, source: Plain): Plain {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue
    if (isPlain(v) && isPlain(target[k])) deepMerge(target[k] as Plain, v)
    else target[k] = isPlain(v) ? deepMerge({}, v) : v
  }
  return target
}

/** The OS app-data folder (desktop default; headless uses --data-dir or this). */
export function defaultDataDir(): string {
  const home = homedir()
  switch (platform()) {
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Pitwall')
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Pitwall')
    default:
      return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'pitwall')
  }
}

export function resolveDataDir(config: Config): string {
  return resolve(config.dataDir || defaultDataDir())
}
