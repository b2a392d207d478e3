// Faults an emulator can inject, shared by the PCP and VISCA emulators and their control channels.

export const FAULT_KINDS = ['none', 'silent', 'slow', 'garbage', 'corrupt', 'nak'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export interface Fault {
  kind: FaultKind
  /** 'slow': how long each answer is held back. */
  delayMs?: number
}

export const FAULT_HELP = `none | silent (no answer) | slow [MS] (answers late) | garbage (noise bytes before answers) | corrupt (bad checksum/garbled first answer) | nak (refuses writes)`

/** Parses "slow 800" / "silent" / ... as typed on an emulator's control channel. */
export function parseFault(words: readonly string[]): Fault | string {
  const [kind, ms] = words
  if (!kind || !(FAULT_KINDS as readonly string[]).includes(kind)) return `unknown fault '${kind ?? ''}': ${FAULT_HELP}`
  if (kind === 'slow') {
    const delayMs = ms === undefined ? 800 : Number(ms)
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 60_000) return 'slow: delay must be 0-60000 ms'
    return { kind, delayMs }
  }
  return { kind: kind as FaultKind }
}

/** Bytes no valid frame of either protocol contains: control bytes, 0xFF-free binary, an over-long line. */
export function noiseBytes(): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x13, 0x07, 0x7f, 0xfe]), Buffer.from('#'.repeat(300) + '\n', 'latin1'), Buffer.from('\x01\x02garbage\n', 'latin1')])
}
