import { z } from 'zod'

// One schema for every setting. Each section belongs to one room; defaults live here so
// docs/configuration.md, `--help` and the loader all read the same truth.

const port = z.number().int().min(0).max(65535)

export const configSchema = z
  .object({
    /** Shown in /api/status, the UI title and to LAN clients. */
    name: z.string().min(1).max(64).default('Pitwall'),
    /** Interface the LAN server binds to. */
    host: z.string().min(1).default('0.0.0.0'),
    /** LAN server port (HTTP, WebSocket APIs, SignalR hubs, web UI). 0 picks a free port. */
    port: port.default(8080),
    /** Where the database, logs, recordings and secrets live. Empty = the OS app-data folder. */
    dataDir: z.string().default(''),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Print logs to stdout as well as to the log file. */
    logToConsole: z.boolean().default(true),
    /** Sets the first-run admin password instead of generating one (unattended installs). Never stored in clear. */
    adminPassword: z.string().min(8).max(256).optional(),
    /** Browser origins allowed to open WebSockets besides the server's own (e.g. "http://tablet.local:3000"). */
    allowedOrigins: z.array(z.string()).default([]),
    /** Secret for signing login tokens; share it between instances on one backplane. Generated per install when empty. */
    tokenSecret: z.string().min(32).optional(),
    /** Sessions expire after this long without use. */
    sessionIdleMinutes: z.number().int().min(1).max(24 * 60).default(30),
    /** Anonymous LAN clients may read state (never write). */
    anonymousRead: z.boolean().default(true),
    /** Instance id on a Redis backplane; defaults to a stable id stored in the data dir. */
    instanceId: z.string().min(1).max(64).optional(),

    camera: z
      .object({
        /** Max simultaneous /api/v1 clients; the upgrade gets HTTP 503 above it. */
        maxClients: z.number().int().min(50).max(100_000).default(1000),
        /** Per-client messages per second (token bucket). */
        rateLimit: z.number().int().min(1).max(10_000).default(100),
        /** How long the controller may take to confirm a write. */
        commandTimeoutMs: z.number().int().min(50).max(60_000).default(2000),
        /** A v1 client whose unsent output passes this many bytes is disconnected (it stopped reading). */
        maxBufferedBytes: z.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(1024 * 1024),
        /** When > 0, the simulated controller changes an image value by itself this often (ms); a demo of device-originated changes. */
        simDriftMs: z.number().int().min(0).max(3_600_000).default(0),
      })
      .prefault({}),

    device: z
      .object({
        /** sim | pcp:PATH[@BAUD] | visca:PATH[@BAUD] | auto */
        source: z.string().default('sim'),
        /** Extra USB vendor:product ids (hex, "0403:6001") that `auto` treats as controllers. */
        usbIds: z.array(z.string().regex(/^[0-9a-fA-F]{4}:([0-9a-fA-F]{4}|\*)$/)).default([]),
      })
      .prefault({}),

    timing: z
      .object({
        /** generator | rmonitor:HOST:PORT | replay:FILE[@SPEED|@max] | redmist:URL#EVENTID | none */
        source: z.string().default('generator'),
        /** Event id of a local source (RMonitor, replay, generator). */
        eventId: z.number().int().min(1).default(1),
        /** Cars in the generated race. */
        generatorCars: z.number().int().min(1).max(200).default(24),
      })
      .prefault({}),

    messaging: z
      .object({
        maxConnections: z.number().int().min(1).max(100_000).default(10_000),
        historySize: z.number().int().min(0).max(100_000).default(500),
      })
      .prefault({}),

    signalr: z
      .object({
        keepAliveMs: z.number().int().min(100).max(600_000).default(15_000),
        clientTimeoutMs: z.number().int().min(200).max(3_600_000).default(30_000),
        handshakeTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
      })
      .prefault({}),

    /** redis://HOST:PORT to share messaging, hubs, camera and timing with other instances. */
    redis: z.string().optional(),

    updates: z
      .object({
        feedUrl: z.string().url().optional(),
        channel: z.enum(['stable', 'beta']).default('stable'),
      })
      .prefault({}),

    desktop: z
      .object({
        closeToTray: z.boolean().default(true),
        startMinimized: z.boolean().default(false),
        openAtLogin: z.boolean().default(false),
      })
      .prefault({}),
  })
  .strict()

export type Config = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>
