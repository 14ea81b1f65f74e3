import { z } from 'zod';
import { checkThresholdsSchema } from '../protocol/check/index.js';

/** Port numbers are validated once here so every consumer can trust them. */
const portMessage = 'expected a port number from 1 to 65535';
const port = z.coerce
  .number({ error: portMessage })
  .int({ error: portMessage })
  .min(1, { error: portMessage })
  .max(65535, { error: portMessage });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The check thresholds are part of the contract (the page judges with them too). */
export { checkThresholdsSchema } from '../protocol/check/index.js';

export const configSchema = z
  .object({
    http: z
      .strictObject({
        host: z.string().min(1).default('0.0.0.0'),
        /** 0 picks a free port (tests). */
        port: z.coerce
          .number({ error: portMessage })
          .int({ error: portMessage })
          .min(0, { error: portMessage })
          .max(65535, { error: portMessage })
          .default(8080),
        /** Address people open; join links are built from it. Defaults to http://localhost:<port>. */
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        /**
         * Reverse proxies whose X-Forwarded-For is believed (IPs, CIDR ranges, or loopback,
         * linklocal, uniquelocal). Empty: the client address is the socket's, so a forged
         * header cannot dodge the rate limits.
         */
        trustedProxies: z
          .union([
            z.array(z.string()),
            z.string().transform((s) =>
              s
                .split(',')
                .map((p) => p.trim())
                .filter(Boolean),
            ),
          ])
          .pipe(
            z.array(
              z.union(
                [
                  z.ipv4(),
                  z.ipv6(),
                  z.cidrv4(),
                  z.cidrv6(),
                  z.enum(['loopback', 'linklocal', 'uniquelocal']),
                ],
                {
                  error:
                    'expected IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)',
                },
              ),
            ),
          )
          .default([]),
        /**
         * PEM files for serving https directly (no reverse proxy): the certificate (with its
         * chain) and its private key. Both or neither; reloaded when they change on disk.
         */
        tlsCert: z.string().min(1).optional(),
        tlsKey: z.string().min(1).optional(),
        /** Seconds a graceful shutdown may take before the process exits anyway. */
        shutdownTimeoutSeconds: z.coerce.number().positive().max(120).default(10),
      })
      .prefault({})
      .refine((h) => (h.tlsCert === undefined) === (h.tlsKey === undefined), {
        message: 'TLS_CERT and TLS_KEY go together: give both PEM files or neither',
        path: ['tlsKey'],
      }),
    media: z
      .strictObject({
        /** Local address the WebRtcServers bind to. */
        listenIp: z.union([z.ipv4(), z.ipv6()]).default('0.0.0.0'),
        /** Address announced to browsers in ICE candidates (the server's public or LAN IP). */
        announcedAddress: z.string().min(1).default('127.0.0.1'),
        /** Worker i listens on rtcPortBase + i, UDP and TCP: few holes in a department firewall. */
        rtcPortBase: port.default(40000),
        /** Number of mediasoup workers; defaults to the number of CPU cores. */
        numWorkers: z.coerce.number().int().min(1).max(64).optional(),
        /** Consumers one router may serve before the room adds a router on another worker. */
        maxConsumersPerRouter: z.coerce.number().int().min(10).max(5000).default(500),
        /**
         * Keyframe requests (PLI/FIR) from the consumers of one video producer reach its sender at
         * most once per this many ms (mediasoup's keyFrameRequestDelay; 0: every request at once):
         * hundreds of sites joining together must not turn the main point's picture into keyframes.
         */
        keyFrameRequestDelayMs: z.coerce.number().int().min(0).max(10_000).default(1000),
        /** A live session nobody is connected to closes its media after this long (seconds). */
        idleSessionCloseSeconds: z.coerce.number().int().min(1).max(86_400).default(120),
        workerLogLevel: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
        /** Path to a mediasoup-worker binary; normally the one installed by scripts/setup.sh. */
        workerBin: z.string().min(1).optional(),
      })
      .prefault({}),
    redis: z
      .strictObject({
        /** redis:// URL of an existing Redis; without it the app starts its own redis-server. */
        url: z
          .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
          .optional(),
        /** Key prefix, so several deployments can share one Redis. */
        keyPrefix: z
          .string()
          .regex(/^[a-zA-Z0-9_.-]+$/, 'letters, digits, "_", "." or "-" only')
          .default('diemcau'),
        /** redis-server binary used when no url is given. */
        serverBin: z.string().min(1).default('redis-server'),
      })
      .prefault({}),
    cluster: z
      .strictObject({
        /** This node's id in the shared Redis; defaults to <hostname>-<pid>. */
        nodeId: z
          .string()
          .regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-" only')
          .optional(),
        /**
         * Where browsers reach this node directly (socket.io and the pages), when several nodes
         * sit behind one public address. Defaults to the public URL.
         */
        nodeUrl: z.url({ protocol: /^https?$/ }).optional(),
        /**
         * A node that stops renewing loses its meetings after this long (seconds): what decides
         * for a node that is only slow or cut off from Redis. A node whose process died is found
         * sooner (a late heartbeat and its Redis connection closed: NodeWatch).
         */
        leaseSeconds: z.coerce.number().min(1).max(60).default(10),
        /** How often a node writes its heartbeat (ms); a node one beat late may be judged dead. */
        heartbeatMs: z.coerce.number().int().min(100).max(10_000).default(500),
        /**
         * Sites one node carries of a meeting before the meeting cascades: further sites are
         * placed on other nodes, which receive the main point over a pipe. 0: never cascade.
         */
        sitesPerNode: z.coerce.number().int().min(0).max(100_000).default(0),
      })
      .prefault({}),
    /** Folder for persistent data (the private Redis's append-only file, uploads). */
    dataDir: z.string().min(1).default('./data'),
    logLevel: logLevel.default('info'),
    /** Pretty logs for people; JSON for machines. Defaults to pretty when stdout is a terminal. */
    logPretty: z
      .union([
        z.boolean(),
        z
          .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
          .transform((v) => v === 'true' || v === '1'),
      ])
      .optional(),
    turn: z
      .strictObject({
        /** turn: / turns: URLs given to browsers, e.g. turn:turn.example.vn:3478?transport=udp */
        urls: z
          .union([
            z.array(z.string()),
            z.string().transform((s) => s.split(',').map((u) => u.trim())),
          ])
          .pipe(z.array(z.string().regex(/^turns?:/, 'a TURN URL starts with turn: or turns:')))
          .default([]),
        /** Shared secret of coturn's use-auth-secret mode (time-limited credentials). */
        secret: z.string().min(16, 'at least 16 characters').optional(),
        credentialTtlSeconds: z.coerce
          .number()
          .int()
          .positive()
          .default(12 * 3600),
      })
      .prefault({})
      .refine((t) => t.urls.length === 0 || t.secret !== undefined, {
        message: 'TURN_SECRET is required when TURN_URLS is set',
        path: ['secret'],
      }),
    checks: checkThresholdsSchema.prefault({}),
    /** Checks in waves: how many bandwidth measurements run at once (server/check/CheckWaves.ts). */
    checkQueue: z
      .strictObject({
        /** Unset: workers × floor(workerBudgetKbps / (2 × 1.25 × the larger bitrate threshold)). */
        maxConcurrent: z.coerce.number().int().min(1).max(1000).optional(),
        /** What one media worker gives the checks (kbps through it, both ways counted). */
        workerBudgetKbps: z.coerce.number().int().min(1000).max(10_000_000).default(20_000),
        /** Expected length of one check, for the waiting time, until the window measured its own. */
        expectedCheckSeconds: z.coerce.number().int().min(5).max(600).default(25),
      })
      .prefault({}),
    /** The programme (broadcast/): one composed, encoded picture of a meeting for recording and live out. */
    broadcast: z
      .strictObject({
        width: z.coerce.number().int().min(160).max(3840).default(1280),
        height: z.coerce.number().int().min(90).max(2160).default(720),
        fps: z.coerce.number().int().min(5).max(60).default(30),
        videoKbps: z.coerce.number().int().min(100).max(20000).default(2500),
        audioKbps: z.coerce.number().int().min(32).max(320).default(128),
        /** x264 speed preset: faster presets cost less CPU for a larger file at the same quality. */
        preset: z
          .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'])
          .default('veryfast'),
        /** Encoder threads (0: x264 decides). */
        threads: z.coerce.number().int().min(0).max(64).default(0),
        /** Length of one MP4 segment (fragmented while written: a crash loses its last seconds). */
        segmentSeconds: z.coerce.number().int().min(5).max(60).default(60),
        /** Recordings older than this are deleted. */
        retentionDays: z.coerce.number().positive().max(3650).default(30),
        /** Python 3 with GStreamer's introspection bindings (python3-gi), for broadcast/composer.py. */
        pythonBin: z.string().min(1).default('/usr/bin/python3'),
        /** FFmpeg pushes the programme to RTMP ingest URLs. */
        ffmpegBin: z.string().min(1).default('ffmpeg'),
        hlsSegmentSeconds: z.coerce.number().int().min(1).max(10).default(2),
      })
      .prefault({}),
    /** Encoders publishing into meetings (server/ingest/): WHIP, RTMP, SRT. */
    ingest: z
      .strictObject({
        /** A second encoder for an endpoint that already has one: it replaces it, or is refused (409). */
        secondPublisher: z.enum(['replace', 'refuse']).default('replace'),
        /** RTMP and SRT listen here (an encoder's stream is relayed into the meeting by FFmpeg). */
        listenHost: z.string().min(1).default('0.0.0.0'),
        /** RTMP streams listen on TCP ports from here, one per open stream. */
        rtmpPortBase: z.coerce.number().int().min(1).max(65000).default(1935),
        /** SRT streams listen on UDP ports from here, one per open stream. */
        srtPortBase: z.coerce.number().int().min(1).max(65000).default(9000),
        /** RTMP/SRT streams open at once on this node (each is one FFmpeg). */
        streamsMax: z.coerce.number().int().min(0).max(64).default(4),
        /** Video bitrate when a stream must be re-encoded (B-frames, or not H.264). */
        videoKbps: z.coerce.number().int().min(200).max(20000).default(2500),
      })
      .prefault({}),
    /** The SIP edge (server/sip/): halls' room systems call meetings. Off unless a port is set. */
    sip: z
      .strictObject({
        /** UDP and TCP port for SIP; 0: the edge is off. 5060 is the usual one. */
        port: z.coerce
          .number({ error: portMessage })
          .int({ error: portMessage })
          .min(0, { error: portMessage })
          .max(65535, { error: portMessage })
          .default(0),
        /** Address the SIP and RTP sockets bind to. */
        listenIp: z.ipv4().default('0.0.0.0'),
        /** Address put in SDP and Contact for rooms to send to; defaults to ANNOUNCED_ADDRESS. */
        announcedAddress: z.ipv4().optional(),
        /** Host part of the meetings' SIP addresses (<number>@host) and the digest realm. */
        domain: z.string().min(1).default('diemcau'),
        /** Room systems' RTP ports (a pair per stream): open this UDP range in the firewall. */
        rtpPortMin: port.default(42000),
        rtpPortMax: port.default(42999),
        /** Calls this node carries at once; more are refused with 503. */
        maxCalls: z.coerce.number().int().min(1).max(1000).default(40),
        /** A call whose room sends nothing for this long is hung up (seconds). */
        mediaTimeoutSeconds: z.coerce.number().int().min(5).max(600).default(30),
        /** A room the service dials may ring this long before the call is cancelled (seconds). */
        ringSeconds: z.coerce.number().int().min(5).max(300).default(45),
        /** A dropped or failed dial-out is retried after this, doubling up to the max (seconds). */
        dialRetryMinSeconds: z.coerce.number().int().min(1).max(600).default(5),
        dialRetryMaxSeconds: z.coerce.number().int().min(1).max(3600).default(60),
        /** Calls in a row that fail or drop before the service stops calling a room. */
        dialAttempts: z.coerce.number().int().min(1).max(1000).default(20),
        /** The picture rooms receive: H.264 Constrained Baseline. */
        width: z.coerce.number().int().min(160).max(1920).default(1280),
        height: z.coerce.number().int().min(90).max(1080).default(720),
        fps: z.coerce.number().int().min(5).max(60).default(30),
        videoKbps: z.coerce.number().int().min(128).max(8000).default(1500),
        gstLaunchBin: z.string().min(1).default('gst-launch-1.0'),
      })
      .prefault({})
      .refine((s) => s.rtpPortMax - s.rtpPortMin >= 3, {
        message: 'SIP_RTP_PORT_MAX must leave at least two port pairs above SIP_RTP_PORT_MIN',
        path: ['rtpPortMax'],
      }),
    metrics: z
      .strictObject({
        /** Bearer token that lets a Prometheus on another host scrape /metrics (loopback needs none). */
        token: z.string().min(16, 'at least 16 characters').optional(),
      })
      .prefault({}),
    notify: z
      .strictObject({
        /** POST target for reminders; requests are signed with webhookSecret (HMAC-SHA256). */
        webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
        webhookSecret: z.string().min(16, 'at least 16 characters').optional(),
        /** smtp:// or smtps:// URL of the mail relay. */
        smtpUrl: z.url({ protocol: /^smtps?$/ }).optional(),
        mailFrom: z.string().min(3).default('Điểm cầu <diemcau@localhost>'),
      })
      .prefault({}),
    documents: z
      .strictObject({
        /** Chromium prints the A4 documents to PDF; without it the PDF routes answer 503. */
        chromiumPath: z.string().min(1).default('/usr/bin/chromium'),
      })
      .prefault({}),
    /** Create the demo department and meeting when the store is empty. */
    demo: z
      .union([
        z.boolean(),
        z
          .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
          .transform((v) => v === 'true' || v === '1'),
      ])
      .default(false),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type { CheckThresholds } from '../protocol/check/index.js';
