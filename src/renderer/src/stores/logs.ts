import { create } from 'zustand'
import type { LogLineInfo } from '../../../shared/ui-api/index.ts'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
const MAX_LINES = 1000

interface LogsState {
  lines: LogLineInfo[]
  minLevel: LogLevel
  /** Replaces the lines with a fresh batch (recent lines after a (re)connect), keeping newer live ones. */
  load(lines: LogLineInfo[]): void
  add(line: LogLineInfo): void
  setMinLevel(level: LogLevel): void
}

export const useLogs = create<LogsState>((set) => ({
  lines: [],
  minLevel: 'info',
  load: (batch) =>
    set((s) => {
      const last = batch.at(-1)?.seq ?? 0
      return { lines: [...batch, ...s.lines.filter((l) => l.seq > last)].slice(-MAX_LINES) }
    }),
  add: (line) =>
    set((s) => {
      if (s.lines.length && s.lines.at(-1)!.seq >= line.seq) return s
      const lines = s.lines.length >= MAX_LINES ? s.lines.slice(1 - MAX_LINES) : s.lines.slice()
      lines.push(line)
      return { lines }
    }),
  setMinLevel: (minLevel) => set({ minLevel }),
}))

export function levelAtLeast(level: string, min: LogLevel): boolean {
  const i = LOG_LEVELS.indexOf(level as LogLevel)
  return (i < 0 ? 2 : i) >= LOG_LEVELS.indexOf(min)
}
