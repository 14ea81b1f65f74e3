import { availableParallelism } from 'node:os';
import type { Config } from '../../config/index.js';
import { type CheckProgress, thresholdsFor } from '../../protocol/check/queue.js';
import { conflict } from '../../protocol/errors.js';
import type { CheckHooks } from '../../signaling/ConnectionCheck.js';
import type { SessionDirectory } from '../../signaling/SessionDirectory.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { EmailChannel } from '../notify/EmailChannel.js';
import { InAppChannel } from '../notify/InAppChannel.js';
import { Notifier, type NotifyChannel } from '../notify/Notifier.js';
import { WebhookChannel } from '../notify/WebhookChannel.js';
import { CheckQueue } from './CheckQueue.js';
import { CheckScheduler } from './CheckScheduler.js';
import { CheckWaves, defaultCheckLimit } from './CheckWaves.js';
import type { CheckTiming } from './checkJobs.js';
import { ReadinessService } from './ReadinessService.js';

export interface CheckServicesOptions {
  data: DataServices;
  redisUrl: string;
  config: Pick<Config, 'checks' | 'notify'> & Partial<Pick<Config, 'checkQueue' | 'media'>>;
  logger: Logger;
  timing?: Partial<CheckTiming>;
  /** How long an IT "check now" lets the site submit results (ms). Default 10 min. */
  onDemandTtlMs?: number;
  /** Extra channels (tests); the configured webhook and SMTP relay are added when set. */
  channels?: NotifyChannel[];
  runWorker?: boolean;
  /** This node's live sessions, to push to and to find a session's check in (none: API only). */
  sessions?: SessionDirectory;
}

/**
 * The technical check's parts composed: readiness, the notifier with its channels, the job
 * scheduler, and their links to the live layer (check hooks for the sessions, live pushes to
 * the IT board, the chair and the sites). Made after the session directory (it pushes through
 * it) and before signaling (the sessions get their check hooks from it).
 */
export class CheckServices {
  private readonly sessions?: SessionDirectory;
  private closing?: Promise<void>;
  /** The check window in waves (at most `waves.limit` measurements at once). */
  readonly waves: CheckWaves;

  private constructor(
    readonly readiness: ReadinessService,
    readonly inApp: InAppChannel,
    readonly notifier: Notifier,
    readonly scheduler: CheckScheduler,
    private readonly options: CheckServicesOptions,
  ) {
    const { config, data } = options;
    this.sessions = options.sessions;
    const q = config.checkQueue;
    const limit =
      q?.maxConcurrent ??
      defaultCheckLimit({
        workers: config.media?.numWorkers ?? availableParallelism(),
        workerBudgetKbps: q?.workerBudgetKbps ?? 20_000,
        ...config.checks,
      });
    this.waves = new CheckWaves({
      queue: new CheckQueue(data.store),
      limit,
      defaultCheckMs: (q?.expectedCheckSeconds ?? 25) * 1000,
      onlineSites: async (meetingId) => {
        const [meeting, list] = await Promise.all([
          data.meetings.get(meetingId),
          readiness.list(meetingId),
        ]);
        const online = new Set(list.filter((r) => r.online).map((r) => r.siteId));
        return meeting.sites.map((s) => s.siteId).filter((id) => online.has(id));
      },
      siteCount: async (meetingId) => (await data.meetings.get(meetingId)).sites.length,
      hosts: (meetingId) => this.sessions?.session(meetingId) !== undefined,
      notify: (meetingId, name, payload, to) => this.sessions?.notify(meetingId, name, payload, to),
      logger: options.logger,
    });
    if (options.sessions) this.pushTo(options.sessions);
  }

  static async create(options: CheckServicesOptions): Promise<CheckServices> {
    const { data, config, logger } = options;
    const readiness = new ReadinessService({ store: data.store, sites: data.sites, logger });
    const inApp = new InAppChannel(data.store);
    const channels: NotifyChannel[] = [inApp, ...(options.channels ?? [])];
    if (config.notify.webhookUrl) {
      if (!config.notify.webhookSecret)
        logger.warn('NOTIFY_WEBHOOK_URL without NOTIFY_WEBHOOK_SECRET: webhook disabled');
      else
        channels.push(
          new WebhookChannel({
            url: config.notify.webhookUrl,
            secret: config.notify.webhookSecret,
          }),
        );
    }
    if (config.notify.smtpUrl)
      channels.push(
        new EmailChannel({ smtpUrl: config.notify.smtpUrl, from: config.notify.mailFrom }),
      );
    const notifier = new Notifier({ store: data.store, channels, logger });
    const scheduler = await CheckScheduler.create({
      redisUrl: options.redisUrl,
      store: data.store,
      meetings: data.meetings,
      sites: data.sites,
      readiness,
      notifier,
      logger,
      ...(options.timing ? { timing: options.timing } : {}),
      ...(options.runWorker !== undefined ? { runWorker: options.runWorker } : {}),
    });
    const services = new CheckServices(readiness, inApp, notifier, scheduler, options);
    // Anything missed while the app was down (or Redis was) is put back on the queue.
    await scheduler
      .resyncAll()
      .catch((err) => logger.error({ err }, 'could not resync check jobs at start-up'));
    return services;
  }

  /** The sessions' persistence of checks, per meeting. */
  hooksFor(meetingId: string): CheckHooks {
    const { readiness } = this;
    return {
      allowed: async (siteId) => {
        const kind = await readiness.assertCheckAllowed(meetingId, siteId);
        // In a window the measurement waits for its turn; IT's "check now" does not.
        if (kind !== 'on-demand') await this.waves.admit(meetingId, siteId);
        return kind;
      },
      thresholds: async () =>
        thresholdsFor(
          this.options.config.checks,
          (await this.options.data.meetings.get(meetingId)).checkThresholds,
        ),
      downlink: async (siteId) =>
        (await readiness.find(meetingId, siteId))?.lastCheck?.assessment?.downlink,
      begun: async (siteId) => void (await readiness.beginCheck(meetingId, siteId)),
      aborted: async (siteId) => {
        await readiness.abortCheck(meetingId, siteId);
        await this.waves.finished(meetingId, siteId);
      },
      completed: async (siteId, result) => {
        const r = await readiness.recordCheck(meetingId, siteId, result);
        await this.waves.finished(meetingId, siteId, result.durationMs);
        return r;
      },
      checklist: async (siteId, input, by) => {
        await this.assertNotOver(meetingId);
        return readiness.recordChecklist(meetingId, siteId, {
          ...input,
          confirmedAt: new Date().toISOString(),
          confirmedBy: by,
        });
      },
      requested: async (siteId) => {
        await this.assertNotOver(meetingId);
        return readiness.requestSiteCheck(
          meetingId,
          siteId,
          this.options.onDemandTtlMs ?? 10 * 60_000,
        );
      },
    };
  }

  /** Live pushes: readiness to IT and chair, notifications to the site and IT, window events. */
  private pushTo(sessions: SessionDirectory): void {
    const log = this.options.logger.child({ component: 'checks' });
    this.readiness.on('changed', (r) =>
      sessions.notify(r.meetingId, 'readinessChanged', r, { roles: ['it', 'chair'] }),
    );
    this.inApp.on('added', (n) =>
      sessions.notify(n.meetingId, 'notificationAdded', n, {
        roles: ['it'],
        ...(n.siteId ? { siteId: n.siteId } : {}),
      }),
    );
    this.scheduler.setHooks({
      windowOpened: (meeting, window) => {
        sessions.notify(
          meeting.id,
          'checkWindowChanged',
          { open: true, kind: window.kind, closesAt: window.closesAt },
          { roles: ['site', 'station', 'chair', 'it'] },
        );
        // Not every site at once: the connected ones line up and are called in waves.
        void this.waves
          .open(meeting.id, 'window', Date.parse(window.closesAt))
          .catch((err) => log.error({ err, meetingId: meeting.id }, 'check queue not opened'));
      },
      windowClosed: (meeting) => {
        sessions.notify(
          meeting.id,
          'checkWindowChanged',
          { open: false, kind: 'window' },
          { roles: ['site', 'station', 'chair', 'it'] },
        );
        void this.waves
          .end(meeting.id)
          .catch((err) => log.warn({ err, meetingId: meeting.id }, 'check queue not closed'));
      },
      windowRemoved: (meetingId) =>
        void this.waves
          .end(meetingId)
          .catch((err) => log.warn({ err, meetingId }, 'check queue not closed')),
      recheck: (meeting, window, measureMs) =>
        void this.waves
          .open(meeting.id, 'recheck', Date.parse(window.closesAt), measureMs)
          .catch((err) => log.error({ err, meetingId: meeting.id }, 're-check queue not opened')),
    });
    // Online and offline follow the live session's own events (a tab taking over is neither).
    sessions.events.on('sessionOpened', (session) => {
      const meetingId = session.meetingId;
      this.waves.watch(meetingId);
      session.on('endpointJoined', ({ siteId }) => {
        if (siteId === undefined) return;
        void this.siteConnected(meetingId, siteId).catch((err) =>
          log.warn({ err, meetingId, siteId }, 'readiness on connect failed'),
        );
      });
      session.on('endpointLeft', ({ siteId }) => {
        if (siteId === undefined) return;
        // A check waiting for its page to come back keeps its slot; if the page does not come
        // back, the check ends (aborted) and the slot is freed then.
        const held = session.check?.holds(siteId) === true;
        void this.readiness
          .setOnline(meetingId, siteId, false)
          .then(() => (held ? undefined : this.waves.left(meetingId, siteId)))
          .catch((err) => log.warn({ err, meetingId, siteId }, 'readiness on disconnect failed'));
      });
    });
  }

  /** A site's page connected: online, and told to check if a window is open. */
  private async siteConnected(meetingId: string, siteId: string): Promise<void> {
    await this.readiness.setOnline(meetingId, siteId, true);
    // In a window running in waves the site takes (or keeps) its place in line.
    if (await this.waves.connected(meetingId, siteId)) return;
    const window = await this.readiness.window(meetingId);
    if (window && window.kind !== 'on-demand') {
      this.sessions?.notify(
        meetingId,
        'checkRequested',
        {
          kind: window.kind,
          reason: {
            vi: 'Đang trong giờ kiểm tra kỹ thuật',
            en: 'The technical check is under way',
          },
        },
        { siteId },
      );
    }
  }

  /** Readiness belongs to a meeting still to come: once it ended (or was cancelled) it is history. */
  private async assertNotOver(meetingId: string): Promise<void> {
    const { state } = await this.options.data.meetings.get(meetingId);
    if (state === 'ended' || state === 'cancelled')
      throw conflict(
        {
          vi: `Hội nghị đã ${state === 'ended' ? 'kết thúc' : 'bị hủy'}: không ghi nhận thêm`,
          en: `The meeting is ${state}: readiness is closed`,
        },
        { state },
      );
  }

  /** IT "check now" from the HTTP API: one site or every connected one. */
  async requestCheck(meetingId: string, siteId?: string) {
    await this.assertNotOver(meetingId);
    const session = this.sessions?.session(meetingId);
    if (!session?.check) {
      const meeting = await this.options.data.meetings.get(meetingId);
      const all = meeting.sites.map((s) => s.siteId);
      return { requested: [], offline: siteId ? [siteId] : all };
    }
    return session.check.request(siteId);
  }

  /** The window's progress for the IT board (GET …/check-progress; pushed as checkProgress). */
  checkProgress(meetingId: string): Promise<CheckProgress> {
    return this.waves.progress(meetingId);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.waves.close();
      this.readiness.removeAllListeners();
      this.inApp.removeAllListeners();
      await this.scheduler.close();
      await this.notifier.close();
    })();
    return this.closing;
  }
}
