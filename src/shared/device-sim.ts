// Emulator controls of the Device page, in a zod-free module so the renderer bundle stays small.
export const DEVICE_SIM_BUTTONS = ['light1', 'light2', 'record', 'main', 'head2'] as const
export const DEVICE_SIM_FAULTS = ['none', 'silent', 'slow', 'garbage', 'corrupt', 'nak'] as const
