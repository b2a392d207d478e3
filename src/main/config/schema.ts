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
      }).strict()
      .prefault({}),

    device: z
      .object({
        /** sim | pcp:PATH[@BAUD] | visca:PATH[@BAUD] | auto */
        source: z.string().default('sim'),
        /** Extra USB vendor:product ids (hex, "0403:6001") that `auto` treats as controllers. */
        usbIds: z.array(z.string().regex(/^[0-9a-fA-F]{4}:([0-9a-fA-F]{4}|\*)$/)).default([]),
      }).strict()
      .prefault({}),

    timing: z
      .object({
        /** generator | rmonitor:HOST:PORT | replay:FILE[@SPEED|@max] | redmist:URL#EVENTID | none */
        source: z.string().default('generator'),
        /** Event id of a local source (RMonitor, replay, generator). */
        eventId: z.number().int().min(1).default(1),
        /** Cars in the generated race. */
        generatorCars: z.number().int().min(1).max(200).default(24),
        /** Event name shown to clients for a local source (RedMist `eventName`). */
        eventName: z.string().max(512).default(''),
        /** Record every followed RMonitor/RedMist session into <dataDir>/recordings (replayable). */
        record: z.boolean().default(true),
        /** Serve the local event as private: RedMist clients must give this access code. */
        accessCode: z.string().min(1).max(128).optional(),
        /** A CSV or JSON control-log file to follow (see docs/timing.md). */
        controlLogFile: z.string().optional(),
        /** Send the legacy V1 `ReceiveMessage` stream on the RedMist hub too. */
        legacyV1: z.boolean().default(true),
        /** Following a RedMist hub (source redmist:URL#EVENTID). */
        redmist: z
          .object({
            protocol: z.enum(['json', 'messagepack']).default('messagepack'),
            /** OAuth client-credentials token endpoint; no token is sent when empty. */
            tokenUrl: z.string().url().optional(),
            clientId: z.string().optional(),
            clientSecret: z.string().optional(),
            /** Access code of a private event. */
            accessCode: z.string().max(128).optional(),
            /** Full-state resync period (REST), ms. */
            resyncMs: z.number().int().min(1000).max(600_000).default(5000),
          }).strict()
          .prefault({}),
      }).strict()
      .prefault({}),

    messaging: z
      .object({
        /** Real-time protocol endpoint. */
        path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default('/ws'),
        /** Rooms API WebSocket endpoint. */
        roomsPath: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default('/chat'),
        /** Connections of both dialects together; the upgrade gets HTTP 503 above it. */
        maxConnections: z.number().int().min(1).max(100_000).default(10_000),
        /** Publications kept per topic (0 = no history). */
        historySize: z.number().int().min(0).max(100_000).default(500),
        /** Longest a publication stays in history (a message's metadata.ttl can shorten it). */
        historyTtlSec: z.number().int().min(1).max(365 * 24 * 3600).default(7 * 24 * 3600),
        /** Direct messages queued per offline user; a full queue refuses (Error 503). */
        dmQueueSize: z.number().int().min(1).max(100_000).default(100),
        /** Longest a queued direct message waits (metadata.ttl can shorten it). */
        dmTtlSec: z.number().int().min(1).max(30 * 24 * 3600).default(3600),
        /** Server Ping interval. */
        heartbeatMs: z.number().int().min(20).max(600_000).default(30_000),
        /** A connection with no inbound frame for this long is closed (4008). */
        idleTimeoutMs: z.number().int().min(50).max(3_600_000).default(60_000),
        /** Largest frame processed (bigger: Error 400; 16× bigger: close 1009). */
        maxFrameBytes: z.number().int().min(1024).max(1024 * 1024).default(64 * 1024),
        /** Messages per second per connection (token bucket) and its burst. */
        rateLimit: z.number().int().min(1).max(100_000).default(100),
        rateBurst: z.number().int().min(1).max(100_000).default(200),
        /** A reader with more than this much unsent output is disconnected. */
        maxBufferedBytes: z.number().int().min(16 * 1024).max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
        /** Subscription filters per connection. */
        maxSubscriptions: z.number().int().min(1).max(10_000).default(256),
        /** AuthStatus token_expiring is sent this long before a token expires. */
        tokenWarningSec: z.number().int().min(1).max(3600).default(60),
      }).strict()
      .prefault({}),

    signalr: z
      .object({
        keepAliveMs: z.number().int().min(100).max(600_000).default(15_000),
        clientTimeoutMs: z.number().int().min(200).max(3_600_000).default(30_000),
        handshakeTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
      }).strict()
      .prefault({}),

    rpc: z
      .object({
        /** Largest SignalR message on /hubs/rpc (bytes); bigger closes the connection. */
        maxMessageBytes: z.number().int().min(4096).max(64 * 1024 * 1024).default(1024 * 1024),
        /** Largest packed parameters or data of one call (bytes); bigger gets a payload_too_large reply. */
        maxPayloadBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
        /** Requests one connection may have in flight; more get a limit_reached reply. */
        maxInFlight: z.number().int().min(1).max(10_000).default(64),
        /** A client silent this long is dropped. Upstream AyCode clients ping every 60 s, hence 180 s. */
        clientTimeoutMs: z.number().int().min(1000).max(3_600_000).default(180_000),
        /** Items the run plan DataSource holds at most. */
        runPlanMaxItems: z.number().int().min(1).max(10_000).default(500),
      }).strict()
      .prefault({}),

    /** redis://HOST:PORT to share messaging, hubs, camera and timing with other instances. */
    redis: z.string().optional(),

    updates: z
      .object({
        feedUrl: z.string().url().optional(),
        channel: z.enum(['stable', 'beta']).default('stable'),
      }).strict()
      .prefault({}),

    desktop: z
      .object({
        closeToTray: z.boolean().default(true),
        startMinimized: z.boolean().default(false),
        openAtLogin: z.boolean().default(false),
      }).strict()
      .prefault({}),
  })
  .strict()

export type Config = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>
