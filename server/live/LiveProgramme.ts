import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgrammeSettings } from '../../broadcast/composerContract.js';
import { Programme, type ProgrammeView } from '../../broadcast/Programme.js';
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
  /** The recording as stored (Redis): a session that reopens resumes it. */
  loadRecording: () => Promise<{ since: string } | undefined>;
  saveRecording: (recording: { since: string } | undefined) => Promise<void>;
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
  /** The composer's outputs serving it. */
  outputIds: string[];
}

/** A participant as the session hands it out (the session's own type, whatever module holds it). */
type SessionParticipant = ReturnType<MeetingSession['participant']>;

const sources = (p: SessionParticipant, kinds: string[]): FeedSource[] =>
  (p?.producers ?? []).filter(
    ({ producer }) => kinds.includes(String(producer.appData.source)) && !producer.closed,
  );

/** Session close reasons after which the meeting is over: its stored recording ends too. */
const finalCloses = new Set(['ended', 'meeting deleted']);

/**
 * One live session's programme: what it shows (the main point, the site with the floor, the
 * station's slides), its text, and its outputs (recording, live out). One composer serves the
 * whole session once it is needed; outputs are added to and removed from it while it runs.
 * Observes the session only through its events and accessors; the meeting never waits for it.
 */
export class LiveProgramme {
  private recording?: { since: string; outputId?: string };
  private liveOut?: LiveOut;
  private pusher?: RtmpPusher;
  private programme?: Programme;
  /**
   * Output changes run one after another, in the order asked, one queue for the recording and
   * one for the live out: stopping the RTMP pusher (seconds when the ingest hangs) never delays
   * the recording's start or stop, or the other way round.
   */
  private readonly ops = {
    recording: Promise.resolve() as Promise<unknown>,
    liveOut: Promise.resolve() as Promise<unknown>,
  };
  private outputCount = 0;
  private meeting?: Meeting;
  private signature = '';
  private lastSyncAt = 0;
  private agendaIndex = -1;
  private meetingLoadedAt = 0;
  private readonly timer: NodeJS.Timeout;
  private autoStarted = false;
  private closed = false;
  private closing?: Promise<void>;
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
    void this.resume();
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

  /** Serializes one output's changes: quick start/stop requests settle in the order they came. */
  private run<T>(queue: keyof LiveProgramme['ops'], op: () => Promise<T>): Promise<T> {
    const next = this.ops[queue].then(op);
    this.ops[queue] = next.catch(() => {});
    return next;
  }

  /** A recording stored before a restart (or an idle close) goes on in this session. */
  private async resume(): Promise<void> {
    const stored = await this.options.loadRecording().catch((err: unknown) => {
      this.log.warn({ err }, 'stored recording state unreadable');
      return undefined;
    });
    if (stored && !this.closed && !this.recording) {
      this.log.info({ since: stored.since }, 'recording resumed with the session');
      await this.startRecording('resume', stored.since).catch((err: unknown) =>
        this.log.error({ err }, 'recording could not resume'),
      );
      return;
    }
    // A meeting set up to broadcast gets its composer now, so the first output starts at once.
    const settings = await this.options.loadSettings().catch(() => undefined);
    if (settings && (settings.recordWithSession || settings.rtmpUrl || settings.hls))
      await this.prepare();
  }

  /** Starts the session's composer ahead of its first output (nothing is encoded until then). */
  prepare(): Promise<void> {
    return this.run('liveOut', async () => {
      if (!this.closed) this.ensureProgramme();
    });
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

  async startRecording(actor: string, since?: string): Promise<RecordingState> {
    if (this.closed) throw conflict({ vi: 'Phiên họp đã đóng', en: 'The session is closed' });
    if (!this.recording) {
      const recording: { since: string; outputId?: string } = {
        since: since ?? new Date().toISOString(),
      };
      this.recording = recording;
      this.log.info({ actor }, 'recording started');
      this.options.announce(this.recordingState);
      await this.run('recording', async () => {
        if (this.recording !== recording || this.closed) return;
        const programme = this.ensureProgramme();
        const run = await this.options.folder.nextRun(this.meetingId);
        if (this.recording !== recording || this.closed) return;
        recording.outputId = `rec-${++this.outputCount}`;
        programme.addOutput({
          id: recording.outputId,
          kind: 'record',
          dir: this.options.folder.dirFor(this.meetingId),
          stem: 'programme',
          run,
          startIndex: 0,
        });
      });
      await this.options
        .saveRecording({ since: recording.since })
        .catch((err: unknown) => this.log.error({ err }, 'recording state not stored'));
    }
    return this.recordingState;
  }

  async stopRecording(actor: string): Promise<RecordingState> {
    const recording = this.recording;
    if (recording) {
      this.recording = undefined;
      this.log.info({ actor }, 'recording stopped');
      this.options.announce(this.recordingState);
      await this.options
        .saveRecording(undefined)
        .catch((err: unknown) => this.log.error({ err }, 'recording state not stored'));
      // Waits for the segment to be finalized (its index written).
      await this.run('recording', async () => {
        if (recording.outputId) await this.programme?.removeOutput(recording.outputId);
      });
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
    await this.run('liveOut', async () => {
      if (this.closed) return;
      await this.endLiveOut();
      const liveOut: LiveOut = {
        ...(settings.rtmpUrl ? { rtmpUrl: settings.rtmpUrl, mpegtsPort: await freeUdpPort() } : {}),
        hls: settings.hls,
        outputIds: [],
      };
      this.liveOut = liveOut;
      this.log.info({ actor, rtmp: !!settings.rtmpUrl, hls: settings.hls }, 'live out started');
      const programme = this.ensureProgramme();
      if (liveOut.hls) {
        await rm(this.hlsDir, { recursive: true, force: true });
        await mkdir(this.hlsDir, { recursive: true });
        const id = `hls-${++this.outputCount}`;
        liveOut.outputIds.push(id);
        programme.addOutput({ id, kind: 'hls', dir: this.hlsDir });
      }
      if (liveOut.rtmpUrl && liveOut.mpegtsPort) {
        const id = `ts-${++this.outputCount}`;
        liveOut.outputIds.push(id);
        programme.addOutput({ id, kind: 'mpegts', port: liveOut.mpegtsPort });
        this.pusher = new RtmpPusher({
          ffmpegBin: this.options.settings.ffmpegBin,
          mpegtsPort: liveOut.mpegtsPort,
          url: liveOut.rtmpUrl,
          logger: this.log,
        });
      }
    });
  }

  async stopLiveOut(actor: string): Promise<void> {
    await this.run('liveOut', async () => {
      if (!this.liveOut) return;
      this.log.info({ actor }, 'live out stopped');
      await this.endLiveOut();
    });
  }

  /** Inside `run`: the pusher stops, the live outputs leave the composer, HLS is deleted. */
  private async endLiveOut(): Promise<void> {
    const liveOut = this.liveOut;
    if (!liveOut) return;
    this.liveOut = undefined;
    await Promise.all([
      this.stopPusher(),
      ...liveOut.outputIds.map((id) => this.programme?.removeOutput(id)),
    ]);
    // Nobody may fetch a stale stream; the next live out writes a new one.
    if (liveOut.hls) await rm(this.hlsDir, { recursive: true, force: true });
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

  /** The session's composer, started on first need and kept until the session closes. */
  private ensureProgramme(): Programme {
    if (this.programme) return this.programme;
    const view = this.view();
    this.signature = this.signatureOf(view);
    const programme = new Programme({
      settings: this.options.settings,
      logger: this.log,
      view,
      ...(this.options.restartDelayMs !== undefined
        ? { restartDelayMs: this.options.restartDelayMs }
        : {}),
    });
    programme.on('segmentCut', ({ path, startedAt }) => {
      void this.options.folder
        .segmentCut(path, startedAt)
        .then((kept) =>
          this.log.warn(
            { file: path.split('/').at(-1), kept },
            'segment left open by its composer',
          ),
        )
        .catch((err: unknown) => this.log.error({ err }, 'cannot check a cut segment'));
    });
    programme.on('segmentClosed', (segment) => {
      void this.options.folder
        .segmentClosed(segment)
        .catch((err: unknown) => this.log.error({ err }, 'cannot note a finished segment'));
    });
    this.programme = programme;
    return programme;
  }

  private async reloadMeeting(): Promise<void> {
    try {
      this.meetingLoadedAt = Date.now();
      this.meeting = await this.options.loadMeeting();
    } catch (err) {
      this.log.warn({ err }, 'meeting not readable for the programme text');
    }
  }

  /**
   * The picture follows the session: the floor site's camera, else the station's slides, else
   * its camera (also the fallback while the wanted picture is missing).
   */
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
    const fallbackId = pick(stationSources, 'camera');
    const shownId = pick(floorSources, 'camera') ?? pick(stationSources, 'screen') ?? fallbackId;
    const meeting = this.meeting;
    const item = meeting && state.agendaIndex >= 0 ? meeting.agenda[state.agendaIndex] : undefined;
    const speaker = floor && pick(floorSources, 'camera') ? floor.name : (station?.name ?? '');
    const lower = [item ? `${state.agendaIndex + 1}. ${item.title}` : '', speaker]
      .filter(Boolean)
      .join('\n');
    return {
      sources: [...stationSources, ...floorSources],
      ...(shownId ? { shownId } : {}),
      ...(fallbackId ? { fallbackId } : {}),
      strip: meeting ? meeting.banner?.trim() || meeting.title : '',
      lower,
    };
  }

  private signatureOf(view: ProgrammeView): string {
    return JSON.stringify([
      view.sources.map((s) => s.producer.id).sort(),
      view.shownId,
      view.fallbackId,
      view.strip,
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

  /**
   * The session closed: finish the files, stop pushing. The stored recording stays for a
   * session that reopens (idle close, restart, move) unless the meeting is over. Memoized.
   */
  close(reason = ''): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.timer);
      const wasRecording = this.recording !== undefined;
      this.recording = undefined;
      if (wasRecording && finalCloses.has(reason))
        await this.options
          .saveRecording(undefined)
          .catch((err: unknown) => this.log.error({ err }, 'recording state not cleared'));
      await Promise.all([this.ops.recording, this.ops.liveOut]);
      this.liveOut = undefined;
      await this.stopPusher();
      const programme = this.programme;
      this.programme = undefined;
      await programme?.close();
    })();
    return this.closing;
  }
}
