#!/usr/bin/env node
// Generates Pitwall's app icons and tray images as PNGs, with nothing but node:zlib
// (`node scripts/make-icons.js`; the output is committed under resources/).
//   resources/icon.png                    1024 px, electron-builder's source for .ico/.icns
//   resources/icons/NxN.png               16 … 512 px (Linux icon set, window icon)
//   resources/tray/tray[-<flag>][-nolink][@2x].png 16 px + 32 px: neutral, green, yellow, red, white,
//                                         checkered; -nolink: with the 'controller not connected' badge
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32, deflateSync } from 'node:zlib'

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources')
const ACCENT = [211, 38, 29]
const WHITE = [255, 255, 255]

/** Encodes RGBA pixels (Uint8Array, w*h*4) as a PNG. */
export function encodePng(w, h, rgba) {
  const raw = Buffer.alloc((w * 4 + 1) * h)
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0 // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * w * 4, w * 4).copy(raw, y * (w * 4 + 1) + 1)
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body) >>> 0)
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 6 // RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

/** Renders `shade(x, y)` (unit square coordinates → [r,g,b,a] or null) with 4×4 supersampling. */
function render(size, shade) {
  const px = new Uint8Array(size * size * 4)
  const n = 4
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = shade((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size)
          if (!c) continue
          const ca = (c[3] ?? 255) / 255
          r += c[0] * ca
          g += c[1] * ca
          b += c[2] * ca
          a += ca
        }
      }
      const i = (y * size + x) * 4
      px[i] = a ? Math.round(r / a) : 0
      px[i + 1] = a ? Math.round(g / a) : 0
      px[i + 2] = a ? Math.round(b / a) : 0
      px[i + 3] = Math.round((a / (n * n)) * 255)
    }
  }
  return encodePng(size, size, px)
}

function inRoundedRect(x, y, x0, y0, x1, y1, r) {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r)
  const cy = Math.min(Math.max(y, y0 + r), y1 - r)
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r
}

/** The app icon: a red rounded square with a white "P" (stem + bowl), as in the favicon. */
function appIcon(x, y) {
  if (!inRoundedRect(x, y, 0.03, 0.03, 0.97, 0.97, 0.2)) return null
  const stem = x >= 0.28 && x <= 0.42 && y >= 0.2 && y <= 0.8
  const bowlOuter = inRoundedRect(x, y, 0.28, 0.2, 0.74, 0.6, 0.2)
  const bowlInner = inRoundedRect(x, y, 0.42, 0.32, 0.62, 0.48, 0.08)
  return stem || (bowlOuter && !bowlInner) ? WHITE : ACCENT
}

const FLAG_COLOURS = { green: [34, 160, 70], yellow: [245, 200, 20], red: [220, 35, 30], white: [245, 245, 245] }

/**
 * Tray: a disc in the flag colour (checkered: black/white squares) with a dark ring so it reads on any
 * panel; `nolink` adds a corner badge (white-rimmed dark red dot): the camera controller is not connected.
 */
function trayIcon(flag, nolink = false) {
  return (x, y) => {
    if (nolink) {
      const b = Math.hypot(x - 0.78, y - 0.78)
      if (b <= 0.17) return [150, 0, 0]
      if (b <= 0.23) return WHITE
    }
    const d = Math.hypot(x - 0.5, y - 0.5)
    if (d > 0.47) return null
    if (d > 0.38) return [30, 30, 30]
    if (flag === 'none') return appIcon(0.1 + x * 0.8, 0.1 + y * 0.8) ?? ACCENT
    if (flag === 'checkered') return (Math.floor(x * 4) + Math.floor(y * 4)) % 2 ? [20, 20, 20] : WHITE
    return FLAG_COLOURS[flag]
  }
}

function write(rel, data) {
  const p = join(OUT, rel)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, data)
  return rel
}

const written = [write('icon.png', render(1024, appIcon))]
for (const s of [16, 32, 48, 64, 128, 256, 512]) written.push(write(`icons/${s}x${s}.png`, render(s, appIcon)))
for (const flag of ['none', 'green', 'yellow', 'red', 'white', 'checkered']) {
  for (const nolink of [false, true]) {
    const name = `${flag === 'none' ? 'tray' : `tray-${flag}`}${nolink ? '-nolink' : ''}`
    written.push(write(`tray/${name}.png`, render(16, trayIcon(flag, nolink))), write(`tray/${name}@2x.png`, render(32, trayIcon(flag, nolink))))
  }
}
console.log(`make-icons: wrote ${written.length} files under resources/`)
