import type { MediaLogger } from '../../media/MediaLogger.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import type { ChairChange } from './ChairState.js';
import type { ConsumerReconciler } from './ConsumerReconciler.js';
import type { Participant } from './Participant.js';
import type { SessionNotifier } from './SessionNotifier.js';

export interface ChairEffectsContext {
  notifier: SessionNotifier;
  consumers: ConsumerReconciler;
  log: MediaLogger;
  participant(endpointId: string): Participant | undefined;
  /** The session state changed: tell everyone, save it. */
  sessionChanged(): void;
}

/**
 * What a ChairState change means for the endpoints: floor and IT-call notifications, the
 * chair's mutes enforced on the producers, consumers reconciled, the new state pushed.
 */
export async function applyChairChange(
  ctx: ChairEffectsContext,
  change: ChairChange,
  options: { session?: boolean } = {},
): Promise<void> {
  const b = ctx.notifier;
  if (change.floorRevoked) b.broadcast('floorRevoked', { siteId: change.floorRevoked });
  if (change.floorGranted) {
    ctx.log.info({ siteId: change.floorGranted }, 'floor granted');
    b.broadcast('floorGranted', { siteId: change.floorGranted });
  }
  if (change.itCall) itCallChanged(ctx, change.itCall);
  for (const siteId of change.muted ?? []) await enforceMute(ctx, siteId, true);
  for (const siteId of change.unmuted ?? []) await enforceMute(ctx, siteId, false);
  if (change.media) ctx.consumers.all();
  if (options.session !== false) ctx.sessionChanged();
  const sites = [...(change.muted ?? []), ...(change.unmuted ?? [])];
  b.changed(...sites.flatMap((id) => ctx.participant(siteEndpointId(id)) ?? []));
}

/** The chair's mute is enforced on the server: the site's microphone producer is paused. */
async function enforceMute(ctx: ChairEffectsContext, siteId: string, muted: boolean) {
  const p = ctx.participant(siteEndpointId(siteId));
  if (!p) return;
  // The encoder's microphone too, live or not: a switch of feed must not unmute the site.
  for (const producer of p.everyProducer) {
    if (producer.appData.source !== 'microphone') continue;
    if (muted) await producer.pause();
    else if (!p.selfMuted) await producer.resume();
  }
  p.socket?.emit('mutedByChair', { muted });
}

function itCallChanged(ctx: ChairEffectsContext, { from, to }: { from?: string; to?: string }) {
  for (const id of [from, to]) {
    const p = id ? ctx.participant(siteEndpointId(id)) : undefined;
    p?.socket?.emit('itCallChanged', to === id && to ? { siteId: to } : {});
  }
  ctx.notifier.broadcast('itCallChanged', to ? { siteId: to } : {}, ['it', 'chair']);
  ctx.log.info({ siteId: to ?? null }, to ? 'IT call started' : 'IT call ended');
}
