import { create } from 'zustand'
import type { StatusInfo } from '../../../shared/ui-api/index.ts'

/** The core's status (engines and their states), fed by the `status` topic. */
export const useStatus = create<{ status: StatusInfo | null; set(s: StatusInfo): void }>((set) => ({
  status: null,
  set: (status) => set({ status }),
}))
