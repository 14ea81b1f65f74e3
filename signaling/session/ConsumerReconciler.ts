import type { types } from 'mediasoup';
import { ceilingLayer, LayerGuard } from '../../media/LayerGuard.js';
import type { EndpointAppData, MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { MediaLogger } from '../../media/MediaLogger.js';
import type { Room } from '../../media/Room.js';
import type { MediaSource } from '../../protocol/socket.js';
import { type RuleState, wants } from '../mediaRules.js';
import type { Participant } from './Participant.js';

export interface ConsumerReconcilerOptions {
  room: Room;
  logger: MediaLogger;
  participants(): Iterable<Participant>;
  /** Who receives what follows from this state (mediaRules.wants). */
  ruleState(): RuleState;
  isClosed(): boolean;
  /** A producer of an endpoint on another node of the meeting, piped here (cascade). */
  fetch?(nodeId: string, producerId: string): Promise<types.Producer>;
  /** How long a receiver waits before asking again for a remote producer it could not get. */
  retryMs?: number;
}

/**
 * Keeps each receiver's consumers equal to what the rules want: creates the missing ones
 * (paused; the page resumes them once ready) and closes the unwanted ones. Work for one
 * receiver is serialized; different receivers proceed in parallel.
 */
export class ConsumerReconciler {
  private readonly log: MediaLogger;
  private readonly retrying = new Set<Participant>();

  constructor(private readonly options: ConsumerReconcilerOptions) {
    this.log = options.logger.child({ component: 'consumers' });
  }

  all(): void {
    for (const p of this.options.participants()) this.one(p);
  }

  one(receiver: Participant): void {
    receiver.reconciling = receiver.reconciling
      .then(() => this.reconcile(receiver))
      .catch((err) => this.log.error({ err, endpointId: receiver.endpointId }, 'reconcile failed'));
  }

  private async reconcile(receiver: Participant): Promise<void> {
    const media = receiver.media;
    if (
      this.options.isClosed() ||
      !media ||
      media.isClosed ||
      !media.rtpCapabilities ||
      !media.recvTransport()
    )
      return;
    const state = this.options.ruleState();
    const wanted = new Set<string>();
    for (const sender of this.options.participants()) {
      if (sender.remote) {
        await this.wantRemote(receiver, sender, state, wanted);
        continue;
      }
      // The receiver itself is a candidate too: the rules loop a checking site's media back.
      for (const { producer } of sender.producers) {
        const want = wants(receiver, sender, producer.appData.source as MediaSource, state);
        if (!want) continue;
        wanted.add(producer.id);
        if (media.consumerOf(producer.id)) continue;
        try {
          await this.create(receiver, media, sender, producer, want.spatialLayer);
        } catch (err) {
          this.log.warn(
            { endpointId: receiver.endpointId, err: (err as Error).message },
            'consumer not created',
          );
        }
      }
    }
    for (const consumer of [...media.consumers.values()]) {
      if (!wanted.has(consumer.producerId)) {
        consumer.close();
        receiver.socket?.emit('consumerClosed', { consumerId: consumer.id });
      }
    }
  }

  /** The same rules for an endpoint on another node: its wanted producers are piped here first. */
  private async wantRemote(
    receiver: Participant,
    sender: Participant,
    state: RuleState,
    wanted: Set<string>,
  ): Promise<void> {
    const remote = sender.remote;
    const media = receiver.media;
    if (!remote || !media || !this.options.fetch) return;
    for (const rp of remote.producers) {
      const want = wants(receiver, sender, rp.source, state);
      if (!want) continue;
      wanted.add(rp.id);
      if (media.consumerOf(rp.id)) continue;
      try {
        const producer = await this.options.fetch(remote.nodeId, rp.id);
        if (media.isClosed || this.options.isClosed()) return;
        await this.create(
          receiver,
          media,
          sender,
          producer as types.Producer<EndpointAppData>,
          want.spatialLayer,
        );
        if (!media.consumerOf(rp.id)) throw new Error('no consumer of the piped producer');
      } catch (err) {
        this.log.warn(
          { endpointId: receiver.endpointId, producerId: rp.id, err: (err as Error).message },
          'remote producer not piped here: asking again soon',
        );
        this.retry(receiver);
      }
    }
  }

  /** One more round for this receiver shortly (one pending at a time). */
  private retry(receiver: Participant): void {
    if (this.retrying.has(receiver) || this.options.isClosed()) return;
    this.retrying.add(receiver);
    setTimeout(() => {
      this.retrying.delete(receiver);
      if (!this.options.isClosed() && receiver.media) this.one(receiver);
    }, this.options.retryMs ?? 500).unref();
  }

  private async create(
    receiver: Participant,
    media: MediaEndpoint,
    sender: Participant,
    producer: types.Producer<EndpointAppData>,
    spatialLayer: number,
  ): Promise<void> {
    const wanted = { spatialLayer, temporalLayer: 2 };
    // A line the receiver's check measured as thin starts at the layers that fit in it.
    const ceiling = ceilingLayer(producer.rtpParameters.encodings, receiver.receiveCeilingBps);
    const consumer = await this.options.room.consume(media, producer, {
      appData: { source: producer.appData.source as string },
      preferredLayers: { ...wanted, spatialLayer: Math.min(spatialLayer, ceiling ?? spatialLayer) },
    });
    if (!consumer) return;
    LayerGuard.attach(
      consumer,
      { wanted, ceiling },
      this.log.child({ endpointId: receiver.endpointId }),
    );
    const socket = receiver.socket;
    consumer.on('producerclose', () => {
      media.consumers.delete(consumer.id);
      socket?.emit('consumerClosed', { consumerId: consumer.id });
    });
    consumer.on('transportclose', () => media.consumers.delete(consumer.id));
    consumer.on('producerpause', () => socket?.emit('consumerPaused', { consumerId: consumer.id }));
    consumer.on('producerresume', () =>
      socket?.emit('consumerResumed', { consumerId: consumer.id }),
    );
    consumer.on('layerschange', (layers) =>
      socket?.emit('consumerLayersChanged', {
        consumerId: consumer.id,
        spatialLayer: layers?.spatialLayer ?? null,
      }),
    );
    socket?.emit('newConsumer', {
      consumerId: consumer.id,
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      source: producer.appData.source as MediaSource,
      endpointId: sender.endpointId,
      role: sender.role,
      ...(sender.siteId !== undefined ? { siteId: sender.siteId } : {}),
    });
  }
}
