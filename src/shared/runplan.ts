// The team's run plan: a shared, change-tracked list (stints, driver changes, fuel notes) kept in
// sync across every RPC client and the UI. Shapes and input schemas, shared by core and renderer.

export const RUNPLAN_KINDS = ['stint', 'driver', 'fuel', 'note'] as const
export type RunPlanKind = (typeof RUNPLAN_KINDS)[number]

export interface RunPlanItem {
  /** Assigned by the server. */
  id: string
  /** +1 on every update; an update naming an older version is a conflict. */
  version: number
  /** Sort key (ascending). */
  position: number
  kind: RunPlanKind
  driver: string
  startLap: number | null
  laps: number | null
  fuelLiters: number | null
  note: string
  updatedBy: string | null
  /** ms since the epoch. */
  updatedAt: number
}

/** The list with its revision: +1 on every accepted change, so a client can spot a missed one. */
export interface RunPlanList {
  rev: number
  items: RunPlanItem[]
}

export interface RunPlanChange {
  kind: 'added' | 'updated' | 'removed'
  rev: number
  item?: RunPlanItem
  id: string
}

export const RUNPLAN_MAX_ITEMS = 500
