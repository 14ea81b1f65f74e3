import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { ProgrammeSettings } from '../../broadcast/composerContract.js';
import { RecordingFolder } from '../../broadcast/RecordingFolder.js';
import {
  type BroadcastSettings,
  type BroadcastStatus,
  broadcastSettingsSchema,
  type RecordingState,
} from '../../protocol/broadcast.js';
import { conflict } from '../../protocol/errors.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { LiveProgramme } from './LiveProgramme.js';

export interface BroadcastServiceOptions {
  signaling: SignalingServer;
  data: DataServices;
  settings: ProgrammeSettings;
  dataDir: string;
  logger: Logger;
  /** How often the retention sweep runs (ms). Default hourly. */
  sweepEveryMs?: number;
  restartDelayMs?: number;
}

const storedRecordingSchema = z.object({ since: z.string() });

const noSession = () =>
  conflict({
    vi: 'Phiên họp chưa mở: chưa có ai kết nối',
    en: 'The session is not open: nobody is connected yet',
  });

/**
 * Recording and live out of meetings: one LiveProgramme per open session (subscribed through
 * the signaling server's sessionOpened), the recordings folder with its retention, and the
 * per-meeting settings. The HTTP routes and the composition root talk to this, never to the
 * programme's processes.
 */
export class BroadcastService {
  readonly folder: RecordingFolder;
  readonly hlsRoot: string;
  private readonly live = new Map<string, LiveProgramme>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly log: Logger;
  private closing?: Promise<void>;

  constructor(private readonly options: BroadcastServiceOptions) {
    this.log = options.logger.child({ component: 'broadcast' });
    this.folder = new RecordingFolder(join(resolve(options.dataDir), 'recordings'));
    this.hlsRoot = join(resolve(options.dataDir), 'hls');
    options.signaling.events.on('sessionOpened', (session) => this.onSessionOpened(session));
    this.sweepTimer = setInterval(() => void this.sweep(), options.sweepEveryMs ?? 3_600_000);
    this.sweepTimer.unref();
    void this.sweep();
  }

  private onSessionOpened(session: MeetingSession): void {
    // The owner's session broadcasts and records a cascaded meeting; its edges do not.
    if (!session.role.decides) return;
    const meetingId = session.meetingId;
    const { data, signaling } = this.options;
    const programme = new LiveProgramme({
      session,
      settings: this.options.settings,
      folder: this.folder,
      hlsRoot: this.hlsRoot,
      logger: this.options.logger,
      loadMeeting: () => data.meetings.get(meetingId),
      loadSettings: () => this.settings(meetingId),
      loadRecording: () =>
        data.store.getJson(data.store.keys.meetingRecording(meetingId), storedRecordingSchema),
      saveRecording: (recording) => this.saveRecording(meetingId, recording),
      announce: (state) =>
        signaling.notify(meetingId, 'recordingChanged', state, {
          roles: ['station', 'site', 'chair', 'it'],
        }),
      ...(this.options.restartDelayMs !== undefined
        ? { restartDelayMs: this.options.restartDelayMs }
        : {}),
    });
    void this.live.get(meetingId)?.close('replaced');
    this.live.set(meetingId, programme);
    session.once('closed', (reason: string) => {
      if (this.live.get(meetingId) === programme) this.live.delete(meetingId);
      void programme.close(reason);
    });
  }

  /** The live programme of a meeting, if its session is open. */
  programme(meetingId: string): LiveProgramme | undefined {
    return this.live.get(meetingId);
  }

  private must(meetingId: string): LiveProgramme {
    const programme = this.live.get(meetingId);
    if (!programme) throw noSession();
    return programme;
  }

  async settings(meetingId: string): Promise<BroadcastSettings> {
    const { store } = this.options.data;
    const saved = await store.getJson(
      store.keys.meetingBroadcast(meetingId),
      broadcastSettingsSchema,
    );
    return saved ?? broadcastSettingsSchema.parse({});
  }

  private async saveRecording(
    meetingId: string,
    recording: { since: string } | undefined,
  ): Promise<void> {
    const { store } = this.options.data;
    const key = store.keys.meetingRecording(meetingId);
    await store.transact([], async () => ({
      write: (m) => (recording ? m.set(key, JSON.stringify(recording)) : m.del(key)),
      result: undefined,
    }));
  }

  async saveSettings(meetingId: string, settings: BroadcastSettings): Promise<BroadcastSettings> {
    const { store } = this.options.data;
    await this.options.data.meetings.get(meetingId);
    await store.transact([], async () => ({
      write: (m) => m.set(store.keys.meetingBroadcast(meetingId), JSON.stringify(settings)),
      result: undefined,
    }));
    // A meeting now set up to broadcast gets its composer ready for the first output.
    if (settings.recordWithSession || settings.rtmpUrl || settings.hls)
      void this.live.get(meetingId)?.prepare();
    return settings;
  }

  startRecording(meetingId: string, actor: string): Promise<RecordingState> {
    return this.must(meetingId).startRecording(actor);
  }

  stopRecording(meetingId: string, actor: string): Promise<RecordingState> {
    return this.must(meetingId).stopRecording(actor);
  }

  async startLiveOut(meetingId: string, actor: string): Promise<void> {
    const programme = this.must(meetingId);
    await programme.startLiveOut(actor, await this.settings(meetingId));
  }

  async stopLiveOut(meetingId: string, actor: string): Promise<void> {
    await this.live.get(meetingId)?.stopLiveOut(actor);
  }

  async status(meetingId: string): Promise<BroadcastStatus> {
    const programme = this.live.get(meetingId);
    const segments = await this.folder.list(meetingId);
    return {
      settings: await this.settings(meetingId),
      sessionOpen: programme !== undefined,
      ...(programme?.status() ?? {
        recording: { recording: false },
        liveOut: { on: false, rtmp: { status: 'off', attempts: 0 }, hls: false },
        encoder: { running: false, restarts: 0 },
      }),
      segments: segments.map((s) => ({
        file: s.file,
        bytes: s.bytes,
        startedAt: new Date(s.startedAt).toISOString(),
        ...(s.durationMs !== undefined ? { durationMs: Math.round(s.durationMs) } : {}),
        ...(s.cut ? { cut: true } : {}),
      })),
    };
  }

  private async sweep(): Promise<void> {
    try {
      const removed = await this.folder.sweep(this.options.settings.retentionDays);
      if (removed > 0) this.log.info({ removed }, 'old recordings deleted');
    } catch (err) {
      this.log.error({ err }, 'recording retention sweep failed');
    }
  }

  /** Finishes every programme's files and stops pushing. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweepTimer);
      await Promise.all([...this.live.values()].map((p) => p.close()));
      this.live.clear();
    })();
    return this.closing;
  }
}
