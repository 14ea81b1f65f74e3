import type { ChairSnapshot } from '../../protocol/clusterBus.js';
import { badField, conflict, notFound } from '../../protocol/errors.js';
import type { SessionState } from '../../protocol/socket.js';
import type { RuleState } from '../mediaRules.js';

export type SessionStatus = SessionState['status'];

/** What the chair's state holds; saved so an idle-closed or restarted session resumes. */
export type { ChairSnapshot };

/** What one change did, so the session can tell the right people and move the media. */
export interface ChairChange {
  floorGranted?: string;
  floorRevoked?: string;
  /** Sites whose microphone the chair's change muted or unmuted. */
  muted?: string[];
  unmuted?: string[];
  itCall?: { from?: string; to?: string };
  /** The consumers follow from this state: reconcile them. */
  media: boolean;
}

const none: ChairChange = { media: false };

export interface ChairStateOptions {
  siteIds: Iterable<string>;
  agendaLength: number;
  snapshot?: Partial<ChairSnapshot>;
  now?: () => number;
}

/**
 * The chair's side of a live session as a pure state machine: status, agenda position, floor,
 * hand queue, mutes and IT's call. No sockets, no media: each method validates, changes the
 * state and returns what changed. Rules: the floor needs a live session; a site given the floor
 * is unmuted and its hand lowered; going live ends IT's call unless the chair keeps it.
 */
export class ChairState {
  private status: SessionStatus = 'waiting';
  private startedAt?: string;
  private agendaIndex = -1;
  private agendaLength: number;
  private floorSiteId?: string;
  private readonly hands = new Map<string, number>();
  private readonly muted = new Set<string>();
  private itCallSiteId?: string;
  private siteIds: Set<string>;
  private readonly now: () => number;

  /** The chair's state for a session opening on a stored meeting and its last saved state. */
  static fromMeeting(info: {
    sites: ReadonlyMap<string, string>;
    agendaLength: number;
    live?: boolean;
    saved?: Partial<ChairSnapshot>;
  }): ChairState {
    return new ChairState({
      siteIds: info.sites.keys(),
      agendaLength: info.agendaLength,
      snapshot: {
        ...info.saved,
        // The stored meeting decides whether it is live; the snapshot only adds detail.
        status: info.live ? 'live' : 'waiting',
        ...(info.live ? { startedAt: info.saved?.startedAt ?? new Date().toISOString() } : {}),
      },
    });
  }

  constructor(options: ChairStateOptions) {
    this.siteIds = new Set(options.siteIds);
    this.agendaLength = options.agendaLength;
    this.now = options.now ?? Date.now;
    if (options.snapshot) this.load(options.snapshot);
  }

  private load(s: Partial<ChairSnapshot>): void {
    this.status = s.status ?? 'waiting';
    this.startedAt = s.startedAt;
    this.agendaIndex = Math.min(s.agendaIndex ?? -1, this.agendaLength - 1);
    this.floorSiteId = s.floorSiteId && this.siteIds.has(s.floorSiteId) ? s.floorSiteId : undefined;
    this.hands.clear();
    for (const [id, at] of Object.entries(s.hands ?? {}))
      if (this.siteIds.has(id)) this.hands.set(id, at);
    this.muted.clear();
    for (const id of s.mutedSiteIds ?? []) if (this.siteIds.has(id)) this.muted.add(id);
    this.itCallSiteId =
      s.itCallSiteId && this.siteIds.has(s.itCallSiteId) ? s.itCallSiteId : undefined;
  }

  /**
   * An edge node of a cascaded meeting holds a copy of the owner's state: it takes each new
   * snapshot whole and never decides anything itself.
   */
  follow(snapshot: ChairSnapshot): void {
    this.load(snapshot);
  }

  get current(): SessionStatus {
    return this.status;
  }

  /** What the media rules (mediaRules.wants) need of this state, with the sites checking now. */
  rules(loopbackSiteIds: ReadonlySet<string>): RuleState {
    const { floor, itCall } = this;
    return {
      status: this.current,
      ...(floor ? { floorSiteId: floor } : {}),
      loopbackSiteIds,
      ...(itCall ? { itCallSiteId: itCall } : {}),
    };
  }

  get floor(): string | undefined {
    return this.floorSiteId;
  }

  get itCall(): string | undefined {
    return this.itCallSiteId;
  }

  isMuted(siteId: string | undefined): boolean {
    return siteId !== undefined && this.muted.has(siteId);
  }

  hasHandRaised(siteId: string | undefined): boolean {
    return siteId !== undefined && this.hands.has(siteId);
  }

  hasSite(siteId: string): boolean {
    return this.siteIds.has(siteId);
  }

  get handQueue(): string[] {
    return [...this.hands.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  snapshot(): ChairSnapshot {
    return {
      status: this.status,
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
      agendaIndex: this.agendaIndex,
      ...(this.floorSiteId ? { floorSiteId: this.floorSiteId } : {}),
      hands: Object.fromEntries(this.hands),
      mutedSiteIds: [...this.muted],
      ...(this.itCallSiteId ? { itCallSiteId: this.itCallSiteId } : {}),
    };
  }

  view(meetingId: string): Omit<SessionState, 'activeSpeakerEndpointId'> {
    return {
      meetingId,
      status: this.status,
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
      agendaIndex: this.agendaIndex,
      ...(this.floorSiteId ? { floorSiteId: this.floorSiteId } : {}),
      handQueue: this.handQueue,
      ...(this.itCallSiteId ? { itCallSiteId: this.itCallSiteId } : {}),
    };
  }

  // --- lifecycle -------------------------------------------------------------------------------

  start(options: { keepItCall?: boolean } = {}): ChairChange {
    if (this.status === 'live') return none;
    if (this.status === 'ended')
      throw conflict(
        { vi: 'Phiên họp đã kết thúc', en: 'The session has ended' },
        { status: this.status },
      );
    this.status = 'live';
    this.startedAt = new Date(this.now()).toISOString();
    this.agendaIndex = Math.max(this.agendaIndex, this.agendaLength > 0 ? 0 : -1);
    const change: ChairChange = { media: true };
    if (this.itCallSiteId && !options.keepItCall) change.itCall = this.setItCall(undefined);
    return change;
  }

  end(): ChairChange {
    if (this.status === 'ended') return none;
    this.status = 'ended';
    const change: ChairChange = { media: true };
    if (this.floorSiteId) change.floorRevoked = this.floorSiteId;
    this.floorSiteId = undefined;
    if (this.itCallSiteId) change.itCall = this.setItCall(undefined);
    this.hands.clear();
    return change;
  }

  // --- agenda ----------------------------------------------------------------------------------

  setAgendaItem(index: number): ChairChange {
    if (index >= this.agendaLength)
      throw badField('index', {
        vi: `Chương trình chỉ có ${this.agendaLength} mục`,
        en: `The agenda has ${this.agendaLength} items`,
      });
    this.agendaIndex = index;
    return none;
  }

  /** The meeting's agenda was edited: keep the position inside it. */
  setAgendaLength(length: number): void {
    this.agendaLength = length;
    if (this.agendaIndex >= length) this.agendaIndex = length - 1;
  }

  // --- floor and hands -------------------------------------------------------------------------

  grantFloor(siteId: string): ChairChange {
    this.requireLive();
    this.requireSite(siteId);
    const previous = this.floorSiteId;
    if (previous === siteId) return none;
    this.floorSiteId = siteId;
    this.hands.delete(siteId);
    const change: ChairChange = { media: true, floorGranted: siteId };
    if (previous) change.floorRevoked = previous;
    if (this.muted.delete(siteId)) change.unmuted = [siteId];
    return change;
  }

  revokeFloor(): ChairChange {
    const previous = this.floorSiteId;
    if (!previous) return none;
    this.floorSiteId = undefined;
    return { media: true, floorRevoked: previous };
  }

  raiseHand(siteId: string): ChairChange {
    this.requireSite(siteId);
    if (!this.hands.has(siteId)) this.hands.set(siteId, this.now());
    return none;
  }

  lowerHand(siteId: string): ChairChange {
    this.hands.delete(siteId);
    return none;
  }

  // --- mutes -----------------------------------------------------------------------------------

  /** Mutes one site, or every site of the meeting when siteId is absent. */
  mute(siteId?: string): ChairChange {
    const targets = siteId === undefined ? [...this.siteIds] : [this.requireSite(siteId)];
    const muted = targets.filter((id) => !this.muted.has(id));
    for (const id of muted) this.muted.add(id);
    return { media: false, muted };
  }

  unmute(siteId: string): ChairChange {
    this.requireSite(siteId);
    return this.muted.delete(siteId) ? { media: false, unmuted: [siteId] } : none;
  }

  // --- IT's two-way call -----------------------------------------------------------------------

  startItCall(siteId: string): ChairChange {
    this.requireSite(siteId);
    if (this.status === 'live')
      throw conflict({
        vi: 'Không gọi riêng trong phiên họp',
        en: 'No IT call during the session',
      });
    const itCall = this.setItCall(siteId);
    return itCall.from === itCall.to ? none : { media: true, itCall };
  }

  endItCall(): ChairChange {
    if (!this.itCallSiteId) return none;
    return { media: true, itCall: this.setItCall(undefined) };
  }

  private setItCall(siteId: string | undefined): { from?: string; to?: string } {
    const from = this.itCallSiteId;
    this.itCallSiteId = siteId;
    return { ...(from ? { from } : {}), ...(siteId ? { to: siteId } : {}) };
  }

  // --- the meeting's sites ---------------------------------------------------------------------

  /** The meeting's site list was edited; a removed site loses the floor, hand, mute and call. */
  setSites(siteIds: Iterable<string>): ChairChange {
    this.siteIds = new Set(siteIds);
    const change: ChairChange = { media: false };
    if (this.floorSiteId && !this.siteIds.has(this.floorSiteId)) {
      change.floorRevoked = this.floorSiteId;
      this.floorSiteId = undefined;
      change.media = true;
    }
    for (const id of [...this.hands.keys()]) if (!this.siteIds.has(id)) this.hands.delete(id);
    for (const id of [...this.muted]) if (!this.siteIds.has(id)) this.muted.delete(id);
    if (this.itCallSiteId && !this.siteIds.has(this.itCallSiteId)) {
      change.itCall = this.setItCall(undefined);
      change.media = true;
    }
    return change;
  }

  private requireLive(): void {
    if (this.status !== 'live')
      throw conflict(
        { vi: 'Phiên họp chưa bắt đầu', en: 'The session has not started' },
        {
          status: this.status,
        },
      );
  }

  private requireSite(siteId: string): string {
    if (!this.siteIds.has(siteId))
      throw notFound({
        vi: `Điểm cầu ${siteId} không thuộc hội nghị`,
        en: `site ${siteId} is not part of this meeting`,
      });
    return siteId;
  }
}
