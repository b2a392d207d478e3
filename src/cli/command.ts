import { parseArgs, type ParseArgsConfig } from 'node:util'

export interface Command {
  summary: string
  run(argv: string[]): Promise<number>
}

/** A problem the user can fix, printed as one line; exit code 2 by default. */
export class CliError extends Error {
  override name = 'CliError'
  readonly exitCode: number
  constructor(message: string, exitCode = 2) {
    super(message)
    this.exitCode = exitCode
  }
}

/** parseArgs with one-line errors instead of stack traces. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals })
  } catch (err) {
    throw new CliError((err as Error).message.split('\n')[0]!)
  }
}

export function intFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`)
  return n
}
