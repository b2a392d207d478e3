export { Backplane, BackplaneError, type BackplaneState, type InstanceInfo } from './backplane.ts'
