import { z } from 'zod'
import { RUNPLAN_KINDS } from './runplan.ts'

// Input schemas of the run plan (core side; kept apart so the renderer bundle needs no zod).

const lap = z.number().int().min(0).max(100_000)
const fields = {
  position: z.number().finite().min(-1e9).max(1e9),
  kind: z.enum(RUNPLAN_KINDS),
  driver: z.string().max(64),
  startLap: lap.nullable(),
  laps: lap.nullable(),
  fuelLiters: z.number().finite().min(0).max(1000).nullable(),
  note: z.string().max(500),
}

/** What a client may send to add an item (everything but kind is optional). */
export const runPlanAddSchema = z
  .object({
    kind: fields.kind,
    position: fields.position.optional(),
    driver: fields.driver.default(''),
    startLap: fields.startLap.default(null),
    laps: fields.laps.default(null),
    fuelLiters: fields.fuelLiters.default(null),
    note: fields.note.default(''),
  })
  .strict()

/** An update: the id, optionally the version it was based on, and the fields to change. */
export const runPlanUpdateSchema = z
  .object({
    id: z.string().min(1).max(64),
    version: z.number().int().min(1).optional(),
    position: fields.position.optional(),
    kind: fields.kind.optional(),
    driver: fields.driver.optional(),
    startLap: fields.startLap.optional(),
    laps: fields.laps.optional(),
    fuelLiters: fields.fuelLiters.optional(),
    note: fields.note.optional(),
  })
  .strict()

export type RunPlanAdd = z.input<typeof runPlanAddSchema>
export type RunPlanUpdate = z.input<typeof runPlanUpdateSchema>
