import type { types } from 'mediasoup';
import type { Socket } from 'socket.io';
import type { EndpointAppData, MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { MediaPath } from '../../protocol/mediaPath.js';
import type { SipSiteCallState } from '../../protocol/sip.js';
import type {
  EndpointRole,
  MediaSource,
  Participant as ParticipantView,
  Quality,
} from '../../protocol/socket.js';
import type { Text } from '../../protocol/text.js';
import type { ChairState } from './ChairState.js';
import type { RemoteState } from './MeetingNodes.js';
import type { EndpointPresence } from './sessionEvents.js';

/**
 * An endpoint that is in the meeting without a socket: a room system's SIP call (server/sip/).
 * The session ends it when the site is removed, its access ends, a page takes it over or the
 * session closes.
 */
export interface ExternalLink {
  /** How it is connected, shown to the chair and IT ('sip': a hall's room system). */
  readonly via: 'sip';
  /** Hang up, saying why (the call's owner releases its media). */
  end(reason: string): void;
}

/** How an encoder reaches the meeting. */
export type IngestVia = 'whip' | 'rtmp' | 'srt' | 'pull';

export interface ParticipantIdentity {
  endpointId: string;
  role: EndpointRole;
  siteId?: string;
  name: string;
}

/**
 * One endpoint of a meeting as signaling sees it: its socket, its media, what it reports.
 * The chair's decisions about it (hand, mute, floor) live in ChairState, keyed by site.
 */
export class Participant {
  readonly endpointId: string;
  readonly role: EndpointRole;
  readonly siteId?: string;
  name: string;
  socket?: Socket;
  /** Set while the endpoint is a room system's call instead of a page. */
  external?: ExternalLink;
  media?: MediaEndpoint;
  /**
   * An encoder publishing for this endpoint (WHIP, RTMP, SRT: server/ingest/). While it sends a
   * source, it replaces the page's producer of that source for every receiver.
   */
  ingest?: { media: MediaEndpoint; via: IngestVia };
  selfMuted = false;
  /** Its hall room system's call state, as server/sip/ reports it (sites with a SIP identity). */
  call?: SipSiteCallState;
  quality?: Quality;
  /** Figures the page reports about what it receives. */
  reported?: {
    recvKbps: number;
    lossDownPercent: number;
    jitterMs?: number;
    rttMs?: number;
    /** The path its media takes, as the page sees its selected ICE pair. */
    path?: MediaPath;
    relayPort?: number;
    at: number;
  };
  /**
   * What its site's last connection check showed the downlink carries (bps, with room left),
   * when it showed a limit: its video consumers start capped at the layers that fit.
   */
  receiveCeilingBps?: number;
  /** Set while the endpoint runs on another node of a cascaded meeting (no socket, no media here). */
  remote?: RemoteState;
  /** Serializes consumer reconciliation for this receiver. */
  reconciling: Promise<void> = Promise.resolve();

  constructor(identity: ParticipantIdentity) {
    this.endpointId = identity.endpointId;
    this.role = identity.role;
    if (identity.siteId !== undefined) this.siteId = identity.siteId;
    this.name = identity.name;
  }

  get online(): boolean {
    if (this.remote) return this.remote.view.online;
    if (this.external) return true;
    return this.socket?.connected === true || this.ingestProducing;
  }

  private get ingestProducing(): boolean {
    const ingest = this.ingest?.media;
    return ingest !== undefined && !ingest.isClosed && ingest.producers.size > 0;
  }

  /**
   * The producers others receive from this endpoint, with the router each lives on: the
   * encoder's for the sources it sends, the page's for the others.
   */
  get producers(): { producer: types.Producer<EndpointAppData>; router: types.Router }[] {
    const out: { producer: types.Producer<EndpointAppData>; router: types.Router }[] = [];
    const ingest = this.ingest?.media;
    const taken = new Set<unknown>();
    if (ingest && !ingest.isClosed)
      for (const producer of ingest.producers.values()) {
        taken.add(producer.appData.source);
        out.push({ producer, router: ingest.router });
      }
    if (this.media)
      for (const producer of this.media.producers.values())
        if (!taken.has(producer.appData.source)) out.push({ producer, router: this.media.router });
    return out;
  }

  get sources(): MediaSource[] {
    if (this.remote) return this.remote.view.sources;
    return this.producers.map(({ producer }) => producer.appData.source as MediaSource);
  }

  view(chair: ChairState): ParticipantView {
    const quality = this.remote ? this.remote.view.quality : this.quality;
    const call = this.remote ? this.remote.view.call : this.call;
    return {
      endpointId: this.endpointId,
      role: this.role,
      ...(this.siteId !== undefined ? { siteId: this.siteId } : {}),
      name: this.name,
      online: this.online,
      handRaised: chair.hasHandRaised(this.siteId),
      mutedByChair: chair.isMuted(this.siteId),
      selfMuted: this.remote ? this.remote.view.selfMuted : this.selfMuted,
      hasFloor: this.siteId !== undefined && this.siteId === chair.floor,
      sources: this.sources,
      ...(this.external ? { via: this.external.via } : {}),
      ...(call ? { call } : {}),
      ...(quality ? { quality } : {}),
    };
  }

  /** Who arrived or left, for the session's events (attendance, metrics). */
  presence(): EndpointPresence {
    return {
      endpointId: this.endpointId,
      role: this.role,
      ...(this.siteId !== undefined ? { siteId: this.siteId } : {}),
      name: this.name,
      at: Date.now(),
    };
  }

  /**
   * Another page or call takes this endpoint over: its page is told why and closed, its room
   * system's call ended, its media released.
   */
  letGo(pageReason: Text, callReason: string): void {
    const socket = this.socket;
    if (socket) {
      socket.emit('replaced', { reason: pageReason });
      socket.data.replaced = true;
      this.socket = undefined;
      socket.disconnect(true);
    }
    this.external?.end(callReason);
    this.external = undefined;
    this.closeMedia();
  }

  /** Releases its media; others' consumers of its producers close with them. */
  closeMedia(): void {
    const media = this.media;
    this.media = undefined;
    media?.close('endpoint gone');
  }
}
