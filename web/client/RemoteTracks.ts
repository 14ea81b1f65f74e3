import type { types } from 'mediasoup-client';
import type { Requester } from '../../client/request.js';
import type { NotificationPayload } from '../../protocol/socket.js';
import type { RemoteTrack } from './clientTypes.js';

type TrackEvent = 'trackAdded' | 'trackRemoved' | 'trackPaused' | 'trackResumed';

/**
 * What the page receives: one mediasoup consumer per remote track, created when the server
 * announces it and resumed once the page holds it; a close that arrives during set-up wins.
 */
export class RemoteTracks {
  readonly byConsumer = new Map<string, RemoteTrack>();
  private readonly consumers = new Map<string, types.Consumer>();
  private readonly pending = new Set<string>();
  private readonly closedWhilePending = new Set<string>();

  constructor(
    private readonly deps: {
      request: Requester;
      /** The current receive transport; a consumer of an older one is dropped. */
      transport: () => types.Transport | undefined;
      emit: (event: TrackEvent, track: RemoteTrack) => void;
    },
  ) {}

  async add(n: NotificationPayload<'newConsumer'>): Promise<void> {
    const transport = this.deps.transport();
    if (!transport) return;
    // consumerClosed can arrive while the consumer is still being set up; remember it.
    this.pending.add(n.consumerId);
    try {
      const consumer = await transport.consume({
        id: n.consumerId,
        producerId: n.producerId,
        kind: n.kind,
        rtpParameters: n.rtpParameters as unknown as types.RtpParameters,
      });
      if (this.closedWhilePending.has(n.consumerId) || transport !== this.deps.transport()) {
        consumer.close();
        return;
      }
      this.consumers.set(consumer.id, consumer);
      const remote: RemoteTrack = {
        consumerId: consumer.id,
        producerId: n.producerId,
        kind: n.kind,
        source: n.source,
        endpointId: n.endpointId,
        role: n.role,
        ...(n.siteId !== undefined ? { siteId: n.siteId } : {}),
        track: consumer.track,
        paused: false,
      };
      this.byConsumer.set(consumer.id, remote);
      await this.deps.request('resumeConsumer', { consumerId: consumer.id }).catch(() => {});
      // Closed during the resume: remove() already dropped it.
      if (this.byConsumer.get(consumer.id) === remote) this.deps.emit('trackAdded', remote);
    } finally {
      this.pending.delete(n.consumerId);
      this.closedWhilePending.delete(n.consumerId);
    }
  }

  remove(consumerId: string): void {
    if (this.pending.has(consumerId)) this.closedWhilePending.add(consumerId);
    this.consumers.get(consumerId)?.close();
    this.consumers.delete(consumerId);
    const remote = this.byConsumer.get(consumerId);
    this.byConsumer.delete(consumerId);
    if (remote) this.deps.emit('trackRemoved', remote);
  }

  setPaused(consumerId: string, paused: boolean): void {
    const remote = this.byConsumer.get(consumerId);
    if (!remote) return;
    remote.paused = paused;
    this.deps.emit(paused ? 'trackPaused' : 'trackResumed', remote);
  }

  /** Every track goes (the transports are being torn down). */
  removeAll(): void {
    for (const id of [...this.byConsumer.keys()]) this.remove(id);
  }

  consumer(consumerId: string): types.Consumer | undefined {
    return this.consumers.get(consumerId);
  }
}
