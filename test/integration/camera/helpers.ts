import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CameraEngine, SimController } from '../../../src/main/camera/index.ts'
import { type ConfigInput, parseConfig } from '../../../src/main/config/index.ts'
import { type Core, createCore } from '../../../src/main/core/index.ts'

export const ADMIN_PW = 'test-admin-pw'

export async function startCore(over: Partial<ConfigInput> = {}, dataDir = mkdtempSync(join(tmpdir(), 'pw-cam-'))): Promise<Core> {
  const core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'warn', adminPassword: ADMIN_PW, timing: { source: 'none' }, device: { source: 'sim' }, ...over }),
  )
  // These tests drive the model through the camera room's SimController and its fine-grained hooks
  // (refusals, any key "pressed"); the running app's sim (the PCP emulator) is tested in
  // test/integration/device.
  await cameraOf(core).model.replaceController(new SimController())
  return core
}

export const cameraOf = (core: Core) => core.engines.find((e) => e.name === 'camera') as CameraEngine
export const simOf = (core: Core) => cameraOf(core).model.controller as SimController
