import { describe, expect, it, vi } from 'vitest'
import type { StatusInfo } from '../../../src/shared/ui-api/index.ts'
import { statusLines, tooltip, trayIconName, trayMenuTemplate, trayStateFrom } from '../../../src/main/desktop/tray-state.ts'

const status = (engines: StatusInfo['engines']): StatusInfo => ({ name: 'Pitwall', version: '0.1.0', uptime: 1, instanceId: 'x', engines })

describe('tray state', () => {
  it('reads device link, timing and the flag colour from the engines', () => {
    const s = trayStateFrom(status({ store: { state: 'running' }, device: { state: 'running', detail: 'PCP on /dev/ttyUSB0', recording: true }, timing: { state: 'running', detail: 'event 1, lap 12', flag: 'Yellow' } }))
    expect(s).toEqual({ device: 'connected', deviceDetail: 'PCP on /dev/ttyUSB0', timing: 'live', timingDetail: 'event 1, lap 12', flag: 'yellow', recording: true })
    expect(trayIconName(s)).toBe('tray-yellow.png')
    expect(statusLines(s)).toEqual(['Device: connected (PCP on /dev/ttyUSB0)', 'Timing: live (event 1, lap 12)', 'Flag: yellow'])
    expect(tooltip(s)).toBe('Pitwall\nDevice: connected (PCP on /dev/ttyUSB0)\nTiming: live (event 1, lap 12)\nFlag: yellow')
  })

  it('says plainly when nothing is there', () => {
    const s = trayStateFrom(null)
    expect(s).toEqual({ device: 'none', timing: 'none', flag: 'none' })
    expect(statusLines(s)).toEqual(['Device: none configured', 'Timing: no source', 'Flag: —'])
    expect(trayIconName(s)).toBe('tray.png')
    const unplugged = trayStateFrom(status({ camera: { state: 'degraded', detail: 'unplugged' }, timing: { state: 'stopped', flag: 42 } }))
    expect(unplugged).toEqual({ device: 'disconnected', deviceDetail: 'unplugged', timing: 'idle', flag: 'none' })
    expect(trayIconName(unplugged)).toBe('tray-nolink.png')
    expect(trayIconName({ ...unplugged, flag: 'red' })).toBe('tray-red-nolink.png')
  })

  it('menu: status lines, quick actions that do what they say', () => {
    const actions = { open: vi.fn(), quit: vi.fn(), setMuted: vi.fn(), setRecording: vi.fn(), installUpdate: vi.fn() }
    const s = trayStateFrom(status({ device: { state: 'running', recording: false }, timing: { state: 'running', flag: 'green' } }))
    const menu = trayMenuTemplate(s, { version: '0.1.0', muted: false, update: { state: 'downloaded', version: '0.2.0' }, url: 'http://localhost:8080' }, actions)
    const labels = menu.map((i) => i.label ?? '—')
    expect(labels).toEqual(['Pitwall 0.1.0', 'Device: connected', 'Timing: live', 'Flag: green', 'LAN: http://localhost:8080', '—', 'Open Pitwall', 'Start recording', 'Mute notifications', 'Restart to update to 0.2.0', '—', 'Quit Pitwall'])
    const click = (label: string) => (menu.find((i) => i.label === label)!.click as () => void)()
    click('Open Pitwall')
    click('Start recording')
    click('Mute notifications')
    click('Restart to update to 0.2.0')
    click('Quit Pitwall')
    expect(actions.open).toHaveBeenCalledOnce()
    expect(actions.setRecording).toHaveBeenCalledWith(true)
    expect(actions.setMuted).toHaveBeenCalledWith(true)
    expect(actions.installUpdate).toHaveBeenCalledOnce()
    expect(actions.quit).toHaveBeenCalledOnce()
  })

  it('recording is greyed out without a connected controller that reports it', () => {
    const actions = { open: vi.fn(), quit: vi.fn(), setMuted: vi.fn(), installUpdate: vi.fn() }
    const menu = trayMenuTemplate(trayStateFrom(null), { version: '0.1.0', muted: true, update: { state: 'idle' } }, actions)
    expect(menu.find((i) => i.label === 'Start recording')!.enabled).toBe(false)
    expect(menu.find((i) => i.label === 'Mute notifications')!.checked).toBe(true)
    expect(menu.some((i) => String(i.label).startsWith('Restart'))).toBe(false)
  })
})
