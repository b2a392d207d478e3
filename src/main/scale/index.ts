export { Backplane, BackplaneError, type BackplaneState, type InstanceInfo } from './backplane.ts'
export { shareUsers } from './users.ts'
