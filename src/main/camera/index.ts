export type { ApplyResult, ApplyResults, CameraController, CameraControllerEvents, ExtraControl, LinkState, LinkStatus } from './controller.ts'
export { SimController, type SimFault, type SimOptions } from './sim-controller.ts'
