import { z } from 'zod'
import type { RunPlanChange, RunPlanList } from '../runplan.ts'
import { runPlanAddSchema, runPlanUpdateSchema } from '../runplan-schema.ts'
import { command, topic } from './define.ts'

// The rpc section of the UI API: the run plan DataSource (the same list RPC clients edit through the
// five CRUD tags of /hubs/rpc) and the RPC hub's status.

export type RunPlanEvent = { type: 'snapshot'; list: RunPlanList } | { type: 'change'; change: RunPlanChange }

export interface RpcHubInfo {
  path: string
  protocols: string[]
  connections: number
  calls: number
  errors: number
  broadcasts: number
}

export const rpcApi = {
  commands: {
    'runplan.list': command(z.object({}).strict()).returns<RunPlanList>(),
    'runplan.add': command(runPlanAddSchema).returns<RunPlanChange>(),
    'runplan.update': command(runPlanUpdateSchema).returns<RunPlanChange>(),
    'runplan.remove': command(z.object({ id: z.string().min(1).max(64), version: z.number().int().min(1).optional() }).strict()).returns<RunPlanChange>(),
    'rpc.info': command(z.object({}).strict()).returns<RpcHubInfo>(),
  },
  topics: {
    /** The whole list on subscribe, then every accepted change (from the UI or any RPC client). */
    runplan: topic(z.object({}).strict()).emits<RunPlanEvent>(),
  },
}
