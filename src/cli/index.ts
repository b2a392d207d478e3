import { VERSION } from '../main/core/index.ts'
import { emulate } from './commands/emulate.ts'
import { rmonitorServer } from './commands/rmonitor-server.ts'
import { rpc } from './commands/rpc.ts'
import { serve } from './commands/serve.ts'
import { CliError, type Command } from './command.ts'

/** Every `pitwall` sub-command. */
const commands: Record<string, Command> = {
  serve,
  emulate,
  'rmonitor-server': rmonitorServer,
  rpc,
}

const USAGE = `pitwall ${VERSION}

Usage: pitwall <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`)
  .join('\n')}

Run 'pitwall <command> --help' for a command's options.`

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE)
    return name ? 0 : 2
  }
  if (name === '--version' || name === '-v') {
    console.log(VERSION)
    return 0
  }
  const command = commands[name]
  if (!command) {
    console.error(`pitwall: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}`)
    return 2
  }
  try {
    return await command.run(rest)
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`pitwall ${name}: ${err.message}`)
      return err.exitCode
    }
    console.error(`pitwall ${name}: unexpected error: ${(err as Error).stack ?? err}`)
    return 1
  }
}
