import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('pitwall', {})
