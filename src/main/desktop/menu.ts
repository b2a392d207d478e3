import type { MenuItemConstructorOptions } from 'electron'

// The application menu: the standard roles (and so the platform's standard shortcuts), plus About,
// the data folder, the web UI in a browser and a manual update check.

export interface MenuActions {
  about(): void
  openDataFolder(): void
  openWebUi(): void
  checkForUpdates(): void
  showPage(page: string): void
}

export function appMenuTemplate(platform: NodeJS.Platform, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin'
  const pages: MenuItemConstructorOptions[] = ['timing', 'messages', 'device', 'settings', 'logs'].map((p, i) => ({
    label: p[0]!.toUpperCase() + p.slice(1),
    accelerator: `CmdOrCtrl+${i + 1}`,
    click: () => actions.showPage(p),
  }))
  const help: MenuItemConstructorOptions[] = [
    { label: 'Open Web UI in Browser', click: actions.openWebUi },
    { label: 'Open Data Folder', click: actions.openDataFolder },
    { label: 'Check for Updates…', click: actions.checkForUpdates },
  ]
  return [
    ...(mac
      ? [
          {
            role: 'appMenu' as const,
            submenu: [
              { label: 'About Pitwall', click: actions.about },
              { type: 'separator' as const },
              { role: 'services' as const },
              { type: 'separator' as const },
              { role: 'hide' as const },
              { role: 'hideOthers' as const },
              { role: 'unhide' as const },
              { type: 'separator' as const },
              { role: 'quit' as const },
            ],
          },
        ]
      : []),
    { role: 'fileMenu', submenu: [mac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      role: 'viewMenu',
      submenu: [...pages, { type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: mac ? help : [...help, { type: 'separator' }, { label: 'About Pitwall', click: actions.about }] },
  ]
}
