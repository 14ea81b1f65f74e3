import { randomBytes } from 'node:crypto';
import type { types } from 'mediasoup';
import type { EndpointAppData } from '../../media/MediaEndpoint.js';
import { AppError, notFound } from '../../protocol/errors.js';
import type { WhipView } from '../../protocol/ingest.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { type IngestHolder, ingestHolder } from './ingestIdentity.js';
import {
  announceProducer,
  closeIngest,
  type OpenedIngest,
  openIngest,
  type SecondPublisher,
} from './openIngest.js';
import { candidatesOf, fragmentUfrag, parseOffer, writeAnswer } from './whipSdp.js';

export interface WhipIngestOptions {
  data: DataServices;
  signaling: SignalingServer;
  logger: Logger;
  secondPublisher: SecondPublisher;
  /** How long ICE may stay disconnected before the resource is ended. Default 15 s. */
  disconnectedMs?: number;
}

/** One WHIP session (RFC 9725 "WHIP session"): its resource URL ends with `id`. */
interface WhipResource {
  id: string;
  holder: IngestHolder;
  opened: OpenedIngest;
  transport: types.WebRtcTransport<EndpointAppData>;
  etag: string;
  iceUfrag: string;
  since: number;
}

export interface WhipPublished {
  id: string;
  answer: string;
  etag: string;
}

/** What a PATCH does: a trickled candidate needs nothing (ice-lite); an ICE restart answers. */
export type WhipPatched = { status: 204 } | { status: 200; fragment: string; etag: string };

const gone = () => notFound({ vi: 'Không có phiên WHIP này', en: 'No such WHIP session' });

/**
 * WHIP ingest: an encoder's offer becomes a WebRtcTransport (the media worker is ice-lite, so
 * the answer carries every candidate and trickled ones are not needed) and one producer per
 * m-line, published as the camera and microphone of the endpoint its token stands for.
 */
export class WhipIngest {
  private readonly resources = new Map<string, WhipResource>();
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly options: WhipIngestOptions) {
    this.log = options.logger.child({ component: 'whip' });
    // A revoked link ends what it publishes, like the pages it opened.
    options.data.access.on('linkRevoked', ({ linkId }) => {
      for (const r of [...this.resources.values()])
        if (r.holder.linkId === linkId) this.end(r, 'link revoked');
    });
  }

  /** The WHIP sessions of a meeting (the IT board's and the station page's status). */
  async list(meetingId: string): Promise<WhipView[]> {
    const live = [...this.resources.values()].filter(
      (r) => r.holder.meetingId === meetingId && !r.opened.media.isClosed,
    );
    return Promise.all(
      live.map(async (r) => {
        const producers = [...r.opened.media.producers.values()];
        // mediasoup's own receive rate per stream (bps), summed over audio and video.
        const stats = await Promise.all(producers.map((p) => p.getStats().catch(() => [])));
        const bps = stats.flat().reduce((sum, s) => sum + (s.bitrate ?? 0), 0);
        return {
          id: r.id,
          endpointId: r.holder.identity.endpointId,
          via: 'whip' as const,
          since: new Date(r.since).toISOString(),
          sources: producers.map((p) => String(p.appData.source)),
          kbps: Math.round(bps / 1000),
        };
      }),
    );
  }

  async authorize(token: string | undefined, meetingId: string): Promise<IngestHolder> {
    if (!token)
      throw new AppError('unauthorized', {
        vi: 'Cần mã Bearer của liên kết điểm cầu',
        en: 'A Bearer token (the endpoint’s join-link token) is required',
      });
    return ingestHolder(this.options.data, token, meetingId);
  }

  async publish(holder: IngestHolder, offerText: string): Promise<WhipPublished> {
    if (this.closed) throw new AppError('unavailable', { vi: 'Đang dừng', en: 'Shutting down' });
    const session = await this.options.signaling.sessionFor(holder.meetingId);
    const offer = parseOffer(offerText, session.room.rtpCapabilities);
    const opened = await openIngest(
      this.options.signaling,
      holder,
      'whip',
      this.options.secondPublisher,
    );
    const log = this.log.child({
      meetingId: holder.meetingId,
      endpointId: holder.identity.endpointId,
    });
    try {
      const transport = await opened.media.createTransport('send');
      await transport.connect({ dtlsParameters: offer.dtls });
      for (const track of offer.tracks) {
        const producer = await opened.media.produce(
          transport.id,
          track.kind,
          track.rtpParameters,
          track.kind === 'audio' ? 'microphone' : 'camera',
        );
        announceProducer(opened, producer);
      }
      const resource: WhipResource = {
        id: randomBytes(16).toString('base64url'),
        holder,
        opened,
        transport,
        etag: `"${randomBytes(8).toString('hex')}"`,
        iceUfrag: offer.iceUfrag,
        since: Date.now(),
      };
      this.watch(resource, log);
      this.resources.set(resource.id, resource);
      log.info(
        {
          resource: resource.id,
          tracks: offer.tracks.map((t) => t.rtpParameters.codecs[0]!.mimeType),
        },
        'WHIP publisher connected',
      );
      return { id: resource.id, answer: writeAnswer(offer, transport), etag: resource.etag };
    } catch (err) {
      closeIngest(opened, 'offer refused');
      if (err instanceof AppError) throw err;
      // mediasoup refused the parameters (a codec or extension it cannot take).
      log.warn({ err: (err as Error).message }, 'WHIP offer refused');
      throw new AppError('bad_request', {
        vi: `sdp: máy chủ media không nhận bản chào (${(err as Error).message})`,
        en: `sdp: the media server refused the offer (${(err as Error).message})`,
      });
    }
  }

  /** Ends the session when ICE stays down or DTLS fails (an encoder that vanished without DELETE). */
  private watch(r: WhipResource, log: Logger): void {
    let timer: NodeJS.Timeout | undefined;
    r.transport.on('icestatechange', (state) => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (state === 'disconnected' || state === 'closed')
        timer = setTimeout(
          () => this.end(r, 'ICE disconnected'),
          this.options.disconnectedMs ?? 15_000,
        ).unref();
    });
    r.transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') this.end(r, `DTLS ${state}`);
    });
    r.transport.observer.once('close', () => {
      if (timer) clearTimeout(timer);
      if (this.resources.get(r.id) === r) {
        this.resources.delete(r.id);
        log.info({ resource: r.id }, 'WHIP session over');
      }
    });
  }

  /** The resource for a request of the same link that created it. */
  resource(id: string, holder: IngestHolder): WhipResource {
    const r = this.resources.get(id);
    if (!r || r.holder.meetingId !== holder.meetingId) throw gone();
    if (r.holder.linkId !== holder.linkId)
      throw new AppError('forbidden', {
        vi: 'Phiên WHIP này thuộc liên kết khác',
        en: 'This WHIP session belongs to another link',
      });
    return r;
  }

  /** Trickle (ignored: the server is ice-lite) or an ICE restart (new credentials answered). */
  async patch(r: WhipResource, fragment: string): Promise<WhipPatched> {
    const ufrag = fragmentUfrag(fragment);
    if (!ufrag || ufrag === r.iceUfrag) return { status: 204 };
    const ice = await r.transport.restartIce();
    r.iceUfrag = ufrag;
    r.etag = `"${randomBytes(8).toString('hex')}"`;
    const lines = [
      `a=ice-ufrag:${ice.usernameFragment}`,
      `a=ice-pwd:${ice.password}`,
      ...candidatesOf(r.transport).map(
        (c) =>
          `a=candidate:${c.foundation} 1 ${c.transport} ${c.priority} ${c.ip} ${c.port} typ ${c.type}${c.tcptype ? ` tcptype ${c.tcptype}` : ''}`,
      ),
      'a=end-of-candidates',
    ];
    return { status: 200, fragment: `${lines.join('\r\n')}\r\n`, etag: r.etag };
  }

  delete(r: WhipResource): void {
    this.end(r, 'deleted by the encoder');
  }

  private end(r: WhipResource, reason: string): void {
    if (this.resources.get(r.id) !== r) return;
    this.resources.delete(r.id);
    this.log.info(
      { meetingId: r.holder.meetingId, endpointId: r.holder.identity.endpointId, reason },
      'WHIP session ended',
    );
    closeIngest(r.opened, reason);
  }

  close(): void {
    this.closed = true;
    for (const r of [...this.resources.values()]) this.end(r, 'service stopping');
  }
}
