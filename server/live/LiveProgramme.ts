import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Programme, type ProgrammeView } from '../../broadcast/Programme.js';
import type { ProgrammeOutputs, ProgrammeSettings } from '../../broadcast/ProgrammeEncoder.js';
import { type FeedSource, freeUdpPort } from '../../broadcast/ProgrammeFeed.js';
import type { RecordingFolder } from '../../broadcast/RecordingFolder.js';
import { RtmpPusher } from '../../broadcast/RtmpPusher.js';
import type {
  BroadcastSettings,
  BroadcastStatus,
  RecordingState,
} from '../../protocol/broadcast.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import { conflict } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { Logger } from '../logger.js';

export interface LiveProgrammeOptions {
  session: MeetingSession;
  settings: ProgrammeSettings;
  folder: RecordingFolder;
  /** HLS of this meeting goes to <hlsRoot>/<meetingId>/. */
  hlsRoot: string;
  logger: Logger;
  loadMeeting: () => Promise<Meeting>;
  loadSettings: () => Promise<BroadcastSettings>;
  /** Tells every page of the meeting (Đang ghi hình). */
  announce: (state: RecordingState) => void;
  /** How often producers are looked up (there is no producer event on the session). */
  pollMs?: number;
  restartDelayMs?: number;
}

interface LiveOut {
  rtmpUrl?: string;
  hls: boolean;
  mpegtsPort?: number;
}

/** A participant as the session hands it out (the session's own type, whatever module holds it). */
type SessionParticipant = ReturnType<MeetingSession['participant']>;

const sources = (p: SessionParticipant, kinds: string[]): FeedSource[] =>
  (p?.producers ?? []).filter(
    ({ producer }) => kinds.includes(String(producer.appData.source)) && !producer.closed,
  );

/**
 * One live session's programme: what it shows (the main point, the site with the floor, the
 * station's slides), its text, and its outputs (recording, live out). Observes the session
 * only through its events and accessors; the meeting never waits for it.
 */
export class LiveProgramme {
  private recording?: { since: string };
  private liveOut?: LiveOut;
  private pusher?: RtmpPusher;
  private programme?: Programme;
  private reconfiguring: Promise<void> = Promise.resolve();
  private meeting?: Meeting;
  private signature = '';
  private lastSyncAt = 0;
  private agendaIndex = -1;
  private meetingLoadedAt = 0;
  private readonly timer: NodeJS.Timeout;
  private autoStarted = false;
  private closed = false;
  private readonly log: Logger;
  private readonly session: MeetingSession;

  constructor(private readonly options: LiveProgrammeOptions) {
    this.session = options.session;
    this.log = options.logger.child({ component: 'programme', meetingId: this.session.meetingId });
    this.timer = setInterval(() => this.follow(), options.pollMs ?? 1000);
    this.timer.unref();
    this.session.on('stateChanged', (state) => {
      // The store is read again only for a new agenda item; floor and speaker changes are local.
      if (state.agendaIndex !== this.agendaIndex) {
        this.agendaIndex = state.agendaIndex;
        void this.reloadMeeting().then(() => this.follow());
      } else this.follow();
      if (state.status === 'live') void this.maybeAutoStart();
    });
    this.session.on('endpointJoined', () => {
      if (this.recording) this.options.announce(this.recordingState);
    });
    void this.reloadMeeting();
    if (this.session.state.status === 'live') void this.maybeAutoStart();
  }

  get meetingId(): string {
    return this.session.meetingId;
  }

  get recordingState(): RecordingState {
    return this.recording ? { recording: true, since: this.recording.since } : { recording: false };
  }

  status(): Omit<BroadcastStatus, 'settings' | 'segments' | 'sessionOpen'> {
    return {
      recording: this.recordingState,
      liveOut: {
        on: this.liveOut !== undefined,
        rtmp: {
          status: this.pusher?.status ?? 'off',
          attempts: this.pusher?.attempts ?? 0,
          ...(this.pusher?.lastError ? { lastError: this.pusher.lastError } : {}),
        },
        hls: this.liveOut?.hls ?? false,
      },
      encoder: {
        running: this.programme?.encoder.pid !== undefined,
        restarts: this.programme?.encoder.restartCount ?? 0,
      },
    };
  }

  /** The composer's process id (tests kill it to check the restart). */
  get encoderPid(): number | undefined {
    return this.programme?.encoder.pid;
  }

  get programmeRunning(): Programme | undefined {
    return this.programme;
  }

  private async maybeAutoStart(): Promise<void> {
    if (this.autoStarted || this.recording) return;
    this.autoStarted = true;
    const settings = await this.options.loadSettings().catch(() => undefined);
    if (settings?.recordWithSession && !this.closed && !this.recording) {
      await this.startRecording('auto').catch((err: unknown) =>
        this.log.error({ err }, 'recording could not start with the session'),
      );
    }
  }

  async startRecording(actor: string): Promise<RecordingState> {
    if (this.closed) throw conflict({ vi: 'Phiên họp đã đóng', en: 'The session is closed' });
    if (!this.recording) {
      this.recording = { since: new Date().toISOString() };
      this.log.info({ actor }, 'recording started');
      this.options.announce(this.recordingState);
      await this.reconfigure();
    }
    return this.recordingState;
  }

  async stopRecording(actor: string): Promise<RecordingState> {
    if (this.recording) {
      this.recording = undefined;
      this.log.info({ actor }, 'recording stopped');
      this.options.announce(this.recordingState);
      await this.reconfigure();
    }
    return this.recordingState;
  }

  async startLiveOut(actor: string, settings: BroadcastSettings): Promise<void> {
    if (this.closed) throw conflict({ vi: 'Phiên họp đã đóng', en: 'The session is closed' });
    if (!settings.rtmpUrl && !settings.hls) {
      throw conflict({
        vi: 'Chưa cấu hình địa chỉ RTMP hoặc HLS',
        en: 'Set an RTMP URL or enable HLS first',
      });
    }
    await this.stopPusher();
    this.liveOut = {
      ...(settings.rtmpUrl ? { rtmpUrl: settings.rtmpUrl, mpegtsPort: await freeUdpPort() } : {}),
      hls: settings.hls,
    };
    this.log.info({ actor, rtmp: !!settings.rtmpUrl, hls: settings.hls }, 'live out started');
    if (settings.hls) await rm(this.hlsDir, { recursive: true, force: true });
    await this.reconfigure();
    if (this.liveOut.rtmpUrl && this.liveOut.mpegtsPort) {
      this.pusher = new RtmpPusher({
        ffmpegBin: this.options.settings.ffmpegBin,
        mpegtsPort: this.liveOut.mpegtsPort,
        url: this.liveOut.rtmpUrl,
        logger: this.log,
      });
    }
  }

  async stopLiveOut(actor: string): Promise<void> {
    if (!this.liveOut) return;
    this.liveOut = undefined;
    this.log.info({ actor }, 'live out stopped');
    await this.stopPusher();
    await this.reconfigure();
    // Nobody may fetch a stale stream; the next live out writes a new one.
    await rm(this.hlsDir, { recursive: true, force: true });
  }

  get hlsDir(): string {
    return join(this.options.hlsRoot, this.meetingId);
  }

  get hlsOn(): boolean {
    return this.liveOut?.hls === true && this.programme !== undefined;
  }

  private async stopPusher(): Promise<void> {
    const pusher = this.pusher;
    this.pusher = undefined;
    await pusher?.close();
  }

  private outputs(): ProgrammeOutputs | undefined {
    const outputs: ProgrammeOutputs = {
      ...(this.recording
        ? { record: { dir: this.options.folder.dirFor(this.meetingId), stem: 'programme' } }
        : {}),
      ...(this.liveOut?.mpegtsPort ? { mpegtsPort: this.liveOut.mpegtsPort } : {}),
      ...(this.liveOut?.hls ? { hls: { dir: this.hlsDir } } : {}),
    };
    return Object.keys(outputs).length > 0 ? outputs : undefined;
  }

  /**
   * Outputs are fixed per composer process: a change closes the running one (its open segment
   * is finished) and starts another. Serialized so quick start/stop requests settle in order.
   */
  private reconfigure(): Promise<void> {
    this.reconfiguring = this.reconfiguring.then(async () => {
      const outputs = this.closed ? undefined : this.outputs();
      const current = this.programme;
      if (JSON.stringify(outputs) === JSON.stringify(current?.outputs)) return;
      this.programme = undefined;
      await current?.close();
      if (!outputs || this.closed) return;
      if (outputs.hls) await mkdir(outputs.hls.dir, { recursive: true });
      const view = this.view();
      this.signature = this.signatureOf(view);
      const programme = new Programme({
        settings: this.options.settings,
        outputs,
        logger: this.log,
        view,
        ...(this.options.restartDelayMs !== undefined
          ? { restartDelayMs: this.options.restartDelayMs }
          : {}),
      });
      programme.on('segmentClosed', (segment) => {
        void this.options.folder
          .segmentClosed(segment)
          .catch((err: unknown) => this.log.error({ err }, 'cannot note a finished segment'));
      });
      this.programme = programme;
    });
    return this.reconfiguring;
  }

  private async reloadMeeting(): Promise<void> {
    try {
      this.meetingLoadedAt = Date.now();
      this.meeting = await this.options.loadMeeting();
    } catch (err) {
      this.log.warn({ err }, 'meeting not readable for the programme text');
    }
  }

  /** The picture follows the session: floor site's camera, else the station's slides, else its camera. */
  view(): ProgrammeView {
    const state = this.session.state;
    const station = this.session.participant('station');
    const floor = state.floorSiteId
      ? this.session.participant(siteEndpointId(state.floorSiteId))
      : undefined;
    const stationSources = sources(station, ['camera', 'screen', 'microphone']);
    const floorSources = sources(floor, ['camera', 'microphone']);
    const pick = (list: FeedSource[], source: string) =>
      list.find((s) => s.producer.appData.source === source)?.producer.id;
    const shownId =
      pick(floorSources, 'camera') ??
      pick(stationSources, 'screen') ??
      pick(stationSources, 'camera');
    const meeting = this.meeting;
    const item = meeting && state.agendaIndex >= 0 ? meeting.agenda[state.agendaIndex] : undefined;
    const lower = [
      item ? `${state.agendaIndex + 1}. ${item.title}` : '',
      floor && pick(floorSources, 'camera') ? floor.name : '',
    ]
      .filter(Boolean)
      .join(' — ');
    return {
      sources: [...stationSources, ...floorSources],
      ...(shownId ? { shownId } : {}),
      banner: meeting ? meeting.banner?.trim() || meeting.title : '',
      lower,
    };
  }

  private signatureOf(view: ProgrammeView): string {
    return JSON.stringify([
      view.sources.map((s) => s.producer.id).sort(),
      view.shownId,
      view.banner,
      view.lower,
    ]);
  }

  /** Applies the session's current view to the running programme when it changed. */
  private follow(): void {
    const programme = this.programme;
    if (!programme || this.closed) return;
    // Title and banner edits during the session reach the picture within half a minute.
    if (Date.now() - this.meetingLoadedAt > 30_000) void this.reloadMeeting();
    const view = this.view();
    const signature = this.signatureOf(view);
    // A producer the feed could not take (e.g. its worker was being replaced) is retried.
    const carried = new Set(programme.carried);
    const missing = view.sources.some((s) => !carried.has(s.producer.id));
    const retry = missing && Date.now() - this.lastSyncAt > 5000;
    if (signature === this.signature && !retry) return;
    this.signature = signature;
    this.lastSyncAt = Date.now();
    void programme.update(view);
  }

  /** The session closed: finish the files, stop pushing. Memoized through `reconfigure`. */
  async close(): Promise<void> {
    if (this.closed) return this.reconfiguring;
    this.closed = true;
    clearInterval(this.timer);
    this.recording = undefined;
    this.liveOut = undefined;
    await this.stopPusher();
    await this.reconfigure();
  }
}
