import type { types } from 'mediasoup';
import type { Socket } from 'socket.io';
import type { EndpointAppData, MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { Feed, FeedSource } from '../../protocol/ingest.js';
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
   * source, it replaces the page's producer of that source for every receiver (unless the page
   * chose its own devices: feedChoice).
   */
  ingest?: { media: MediaEndpoint; via: IngestVia };
  /**
   * What its page chose others receive: its encoder while that sends (the default, so an
   * encoder that starts is live at once) or the page's own devices. Kept while the encoder
   * comes and goes; written by the session only (chooseFeed).
   */
  feedChoice: FeedSource = 'encoder';
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

  /** The encoder and which source is live, when there is an encoder or a choice to show. */
  get feed(): Feed | undefined {
    const ingest = this.ingest;
    const encoder = ingest && !ingest.media.isClosed ? ingest : undefined;
    if (!encoder && this.feedChoice === 'encoder') return undefined;
    const encoderLive =
      encoder !== undefined &&
      this.producers.some(({ producer }) => encoder.media.producers.has(producer.id));
    return {
      chosen: this.feedChoice,
      live: encoderLive ? 'encoder' : 'page',
      ...(encoder ? { encoder: { via: encoder.via, sending: this.ingestProducing } } : {}),
    };
  }

  /** The page's and the encoder's media, the chosen one first. */
  private get sendingMedia(): MediaEndpoint[] {
    const ingest = this.ingest?.media;
    const both = this.feedChoice === 'encoder' ? [ingest, this.media] : [this.media, ingest];
    return both.filter((m): m is MediaEndpoint => m !== undefined && !m.isClosed);
  }

  /**
   * The producers others receive from this endpoint, with the router each lives on: per source,
   * the chosen feed's (the encoder's by default), else the other's, so a source is never dark
   * while one of them sends it (the page closed, the encoder stopped).
   */
  get producers(): { producer: types.Producer<EndpointAppData>; router: types.Router }[] {
    const out: { producer: types.Producer<EndpointAppData>; router: types.Router }[] = [];
    const taken = new Set<unknown>();
    for (const media of this.sendingMedia)
      for (const producer of media.producers.values()) {
        if (taken.has(producer.appData.source)) continue;
        taken.add(producer.appData.source);
        out.push({ producer, router: media.router });
      }
    return out;
  }

  /** Every producer of the endpoint, live or not (the chair's mute holds for all of them). */
  get everyProducer(): types.Producer<EndpointAppData>[] {
    return this.sendingMedia.flatMap((m) => [...m.producers.values()]);
  }

  get sources(): MediaSource[] {
    if (this.remote) return this.remote.view.sources;
    return this.producers.map(({ producer }) => producer.appData.source as MediaSource);
  }

  view(chair: ChairState): ParticipantView {
    const quality = this.remote ? this.remote.view.quality : this.quality;
    const call = this.remote ? this.remote.view.call : this.call;
    const feed = this.remote ? this.remote.view.feed : this.feed;
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
      ...(feed ? { feed } : {}),
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
