import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { routeMediasoupLogs } from '../media/mediasoupLogging.js';
import { WorkerPool } from '../media/WorkerPool.js';
import type { ToolsReport } from '../protocol/ops.js';
import type { SignalingServer } from '../signaling/SignalingServer.js';
import { CheckServices } from './check/CheckServices.js';
import { registerCheckMetrics } from './check/checkMetrics.js';
import { readinessRoutes } from './check/readinessRoutes.js';
import { ClusterNode } from './cluster/ClusterNode.js';
import { DataServices } from './DataServices.js';
import { type DemoSeedResult, seedDemo } from './demo/seedDemo.js';
import { buildHttpApp, type HttpApp } from './http/buildHttpApp.js';
import { TlsServer, tlsFilesFor } from './http/tls.js';
import { IngestService } from './ingest/IngestService.js';
import { ingestRoutes } from './ingest/ingestRoutes.js';
import { whipRoutes } from './ingest/whipRoutes.js';
import { recordAttendance } from './live/attendance.js';
import { BroadcastService } from './live/broadcast.js';
import {
  createSessionDirectory,
  createSignaling,
  SignalingAccess,
} from './live/createSignaling.js';
import { LiveMeetings } from './live/LiveMeetings.js';
import { registerLiveMetrics } from './live/liveMetrics.js';
import type { Logger } from './logger.js';
import { MediaProbes } from './ops/mediaProbe.js';
import { checkTools, describeMissing } from './ops/tools.js';
import { connectRedis } from './redis/connectRedis.js';
import { RedisServerProcess } from './redis/RedisServerProcess.js';
import { ReportReminders } from './reports/ReportReminders.js';
import { apiRoutes } from './routes/api.js';
import { broadcastRoutes } from './routes/broadcast.js';
import { clusterRoutes } from './routes/cluster.js';
import { healthRoutes } from './routes/health.js';
import { installHttpLatency, metricsRoutes } from './routes/metrics.js';
import { opsRoutes } from './routes/ops.js';
import { pageRoutes } from './routes/pages.js';
import { DialOut } from './sip/DialOut.js';
import { SipEdge } from './sip/SipEdge.js';
import { sipRoutes } from './sip/sipRoutes.js';
import { migrateStore } from './store/schemaVersion.js';

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Start listening on config.http (false in tests that use inject()). Default true. */
  listen?: boolean;
}

interface CloseStep {
  name: string;
  run: () => Promise<void> | void;
}

// server/ in the sources, dist/server/ once built: both sit one folder below the repository.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..').replace(/\/dist$/, '');
const packageVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * The composition root: the one place that knows every part. Starts Redis, the media
 * workers and the HTTP app; closes them in the documented order.
 */
export class Service {
  private shuttingDown = false;
  private closing?: Promise<void>;
  /** Run in order on close; each later part registers its step where it belongs. */
  private readonly closeSteps: CloseStep[] = [];
  /** The SIP edge for halls' room systems, when SIP_PORT is set. */
  sip?: SipEdge;
  /** The service's calls to rooms that wait to be called, and every SIP site's call state. */
  sipDialOut?: DialOut;
  /** What the demo seed created (DEMO=1 on an empty store), for the start script to print. */
  demo?: DemoSeedResult;

  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly redis: Redis,
    readonly redisUrl: string,
    readonly pool: WorkerPool,
    readonly app: HttpApp,
    readonly data: DataServices,
    readonly signaling: SignalingServer,
    readonly broadcast: BroadcastService,
    readonly metrics: Registry,
    /** This node among the others on the same Redis (placement, bus, cascade). */
    readonly cluster: ClusterNode,
    /** Encoders publishing into meetings (WHIP, RTMP, SRT). */
    readonly ingest: IngestService,
  ) {}

  static async start(options: ServiceOptions): Promise<Service> {
    const { config, logger } = options;
    const undo: CloseStep[] = [];
    try {
      const dataDir = resolve(config.dataDir);
      mkdirSync(dataDir, { recursive: true });
      // Refused before anything starts: https asked for without a certificate or a proxy.
      const tlsFiles = tlsFilesFor(config.http);
      const tls = tlsFiles ? await TlsServer.create(tlsFiles, logger) : undefined;
      if (tls) undo.push({ name: 'tls', run: () => tls.close() });

      let redisUrl = config.redis.url;
      let redisProcess: RedisServerProcess | undefined;
      if (!redisUrl) {
        redisProcess = await RedisServerProcess.start({
          bin: config.redis.serverBin,
          dir: join(dataDir, 'redis'),
          logger,
        });
        undo.push({ name: 'redis-server', run: () => redisProcess!.close() });
        redisUrl = redisProcess.url;
      }
      const redis = await connectRedis(redisUrl, logger.child({ component: 'redis' }));
      undo.push({
        name: 'redis client',
        run: async () => void (await redis.quit().catch(() => redis.disconnect())),
      });

      const data = await DataServices.create({
        redis,
        prefix: `${config.redis.keyPrefix}:`,
        logger,
        publicUrl: config.http.publicUrl!,
        dataDir,
      });
      undo.push({ name: 'data services', run: () => data.close() });
      // Records written by an older release are brought to this one's shape; a newer store is refused.
      await migrateStore(data.store, logger);

      // Optional programs (PDF, live out, recording): missing ones are said now, not at first use.
      let toolsChecked: { at: number; report: Promise<ToolsReport> } | undefined;
      const tools = (): Promise<ToolsReport> => {
        if (!toolsChecked || Date.now() - toolsChecked.at > 60_000) {
          toolsChecked = {
            at: Date.now(),
            report: checkTools(config).then((list) => ({
              complete: list.every((t) => t.ok),
              tools: list,
            })),
          };
        }
        return toolsChecked.report;
      };
      // Not awaited: start-up need not wait for the GStreamer probe.
      void tools().then(
        (report) => {
          for (const line of describeMissing(report.tools))
            logger.warn(`optional tool missing / thiếu chương trình: ${line}`);
        },
        (err: unknown) => logger.warn({ err }, 'optional tools could not be checked'),
      );

      routeMediasoupLogs(logger);
      const pool = await WorkerPool.create({
        numWorkers: config.media.numWorkers!,
        listenIp: config.media.listenIp,
        announcedAddress: config.media.announcedAddress,
        rtcPortBase: config.media.rtcPortBase,
        logLevel: config.media.workerLogLevel,
        logger,
      });
      undo.push({
        name: 'mediasoup workers',
        run: async () => {
          pool.close();
          await pool.waitForExit();
        },
      });

      let service: Service | undefined;
      const app = await buildHttpApp({
        logger,
        publicUrl: config.http.publicUrl!,
        trustedProxies: config.http.trustedProxies,
        webRoot: join(repoRoot, 'web', 'dist'),
        isShuttingDown: () => service?.shuttingDown ?? false,
        ...(tls ? { serverFactory: tls.factory() } : {}),
      });
      undo.push({ name: 'http', run: () => app.close() });
      // One registry per service (tests start several in one process).
      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics, prefix: 'diemcau_node_' });
      installHttpLatency(app, metrics);
      await app.register(healthRoutes, {
        redis,
        pool,
        isShuttingDown: () => service?.shuttingDown ?? false,
        version: packageVersion,
        ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
      });
      // The socket.io server and this node's live sessions: who connects (links, logins), which
      // sessions are open. Everything that reaches a session is given it from here on.
      const access = new SignalingAccess(data, config);
      const sessions = createSessionDirectory({ httpServer: app.server, access, config, logger });
      // Closed first: endpoints are told and rooms closed before HTTP and the workers go.
      const closeSessions = { name: 'signaling', run: () => sessions.close() };
      // Technical checks: readiness, reminders, check-window jobs (BullMQ); routes under /api.
      const checks = await CheckServices.create({ data, redisUrl, config, logger, sessions });
      undo.push({ name: 'check jobs', run: () => checks.close() });
      // Report deadlines: reminders through the same notifier channels, on their own queue.
      const reportReminders = await ReportReminders.create({
        redisUrl,
        store: data.store,
        meetings: data.meetings,
        sites: data.sites,
        reports: data.reports,
        notifier: checks.notifier,
        logger,
      });
      undo.push({ name: 'report reminders', run: () => reportReminders.close() });

      // One node of several on this Redis: registry, meeting placement, the socket.io adapter.
      const cluster = await ClusterNode.start({
        redis,
        redisUrl,
        keys: data.store.keys,
        config,
        pool,
        sessions,
        // NODE_URL, else the public URL; a test's port 0 is known only once listening.
        nodeUrl: () =>
          config.cluster.nodeUrl ??
          (config.http.port === 0 && service ? service.url : config.http.publicUrl!),
        logger,
      });
      undo.push({ name: 'cluster', run: () => cluster.close() });

      // The live layer owns a meeting's state while its session is open; HTTP actions go through it.
      const live = new LiveMeetings(data, logger, sessions, {
        bus: cluster.bus,
        nodeId: cluster.nodeId,
        ownerOf: async (meetingId) => (await cluster.placement.current(meetingId))?.nodeId,
      });
      const signaling = createSignaling({
        directory: sessions,
        access,
        pool,
        data,
        config,
        logger,
        checkHooks: (meetingId) => checks.hooksFor(meetingId),
        fence: cluster.fence,
        peers: (meetingId, ownerNodeId) => cluster.peers(meetingId, ownerNodeId),
      });
      registerCheckMetrics(metrics, checks);
      registerLiveMetrics(metrics, signaling, pool);
      await app.register(metricsRoutes, {
        registry: metrics,
        ...(config.metrics.token ? { token: config.metrics.token } : {}),
      });
      const stopAttendance = recordAttendance(signaling, data.attendance, logger);
      undo.push({ name: 'attendance', run: stopAttendance });
      undo.push(closeSessions);

      // Recording and live out follow the live sessions; closed before them, so files finish.
      const broadcast = new BroadcastService({
        signaling,
        data,
        settings: config.broadcast,
        dataDir,
        logger,
      });
      undo.push({ name: 'broadcast', run: () => broadcast.close() });

      // Halls' room systems call in over SIP; hung up before the sessions close.
      let sipEdge: SipEdge | undefined;
      let sipDialOut: DialOut | undefined;
      if (config.sip.port) {
        sipEdge = await SipEdge.start({
          settings: config.sip,
          mediaAnnouncedAddress: config.media.announcedAddress,
          data,
          signaling,
          admit: async (meetingId) => (await cluster.placement.admit(meetingId)).here,
          logger,
        });
        const edge = sipEdge;
        undo.push({ name: 'sip', run: () => edge.close() });
        // Rooms that wait to be called are called when their meeting goes live here.
        sipDialOut = new DialOut({ edge, signaling, data, settings: config.sip, logger });
        const dialOut = sipDialOut;
        undo.push({ name: 'sip dial-out', run: () => dialOut.close() });
      }

      const probes = new MediaProbes(pool);
      undo.push({ name: 'media probes', run: () => probes.close() });

      // Every /api route behind one rate limiter and the same-origin rule for cookie writes.
      await app.register(apiRoutes, {
        services: data,
        lifecycle: live,
        secureCookies: config.http.publicUrl!.startsWith('https:'),
        publicUrl: config.http.publicUrl!,
        chromiumPath: config.documents.chromiumPath,
        also: async (scope) => {
          await scope.register(readinessRoutes, { services: data, checks });
          await scope.register(clusterRoutes, { services: data, cluster });
          await scope.register(broadcastRoutes, { services: data, broadcast });
          await scope.register(opsRoutes, {
            services: data,
            tools,
            probes,
            announcedAddress: config.media.announcedAddress,
          });
          if (sipEdge && sipDialOut)
            await scope.register(sipRoutes, {
              services: data,
              sip: sipEdge,
              dialOut: sipDialOut,
            });
        },
      });
      // Encoders publishing into meetings: WHIP now, RTMP and SRT relayed by FFmpeg.
      const ingest = new IngestService({
        data,
        signaling,
        config: config.ingest,
        ffmpegBin: config.broadcast.ffmpegBin,
        publicHost: new URL(config.http.publicUrl!).hostname,
        logger,
      });
      undo.push({ name: 'ingest', run: () => ingest.close() });
      await app.register(whipRoutes, { whip: ingest.whip });
      await app.register(ingestRoutes, { services: data, ingest });
      await app.register(pageRoutes, { webRoot: join(repoRoot, 'web', 'dist') });

      service = new Service(
        config,
        logger,
        redis,
        redisUrl,
        pool,
        app,
        data,
        signaling,
        broadcast,
        metrics,
        cluster,
        ingest,
      );
      if (sipEdge) service.sip = sipEdge;
      if (sipDialOut) service.sipDialOut = sipDialOut;
      if (config.demo) service.demo = await seedDemo(data, { logger });
      // Close order is the reverse of start order: http, then media, then Redis.
      service.closeSteps.push(...undo.reverse());
      await app.ready();
      if (options.listen !== false) {
        await app.listen({ host: config.http.host, port: config.http.port });
        logger.info(
          { url: config.http.publicUrl, workers: pool.size },
          'diemcau is running / đang chạy',
        );
      }
      return service;
    } catch (err) {
      for (const step of undo.reverse()) {
        try {
          await step.run();
        } catch {
          // Start-up already failed; the original error is what matters.
        }
      }
      throw err;
    }
  }

  /** Where the HTTP server listens (the real port when config asked for 0). */
  get url(): string {
    const address = this.app.server.address() as AddressInfo | null;
    const scheme = this.config.http.tlsCert ? 'https' : 'http';
    return address ? `${scheme}://127.0.0.1:${address.port}` : this.config.http.publicUrl!;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Adds a close step that runs before those registered earlier (later parts depend on earlier ones). */
  addCloseStep(name: string, run: () => Promise<void> | void): void {
    this.closeSteps.unshift({ name, run });
  }

  /** Refuse new work, then close each part in order, going on past a failed step. Memoized. */
  close(reason = 'shutdown'): Promise<void> {
    this.closing ??= (async () => {
      this.shuttingDown = true;
      this.logger.info({ reason }, 'shutting down / đang dừng');
      for (const step of this.closeSteps) {
        try {
          await step.run();
        } catch (err) {
          this.logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      this.logger.info('stopped / đã dừng');
    })();
    return this.closing;
  }
}
