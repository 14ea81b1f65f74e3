import type { types } from 'mediasoup';
import type { EndpointAppData, MediaEndpoint } from '../../media/MediaEndpoint.js';
import { conflict } from '../../protocol/errors.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { IngestVia, Participant } from '../../signaling/session/Participant.js';
import type { IngestHolder } from './ingestIdentity.js';

export type SecondPublisher = 'replace' | 'refuse';

/** An encoder's media in a live session, as the endpoint it publishes for. */
export interface OpenedIngest {
  session: MeetingSession;
  participant: Participant;
  media: MediaEndpoint;
}

/**
 * Opens media for an encoder on its endpoint of the meeting's session (opened if needed). An
 * endpoint already fed by an encoder keeps it (`refuse`: 409) or hands over (`replace`).
 */
export async function openIngest(
  signaling: SignalingServer,
  holder: IngestHolder,
  via: IngestVia,
  second: SecondPublisher,
): Promise<OpenedIngest> {
  const session = await signaling.sessionFor(holder.meetingId);
  const participant = session.ingestFor(holder.identity);
  const previous = participant.ingest?.media;
  if (previous && !previous.isClosed) {
    if (second === 'refuse')
      throw conflict({
        vi: 'Điểm này đã có một bộ mã hóa đang phát',
        en: 'An encoder already publishes for this endpoint',
      });
    session.log.info({ endpointId: holder.identity.endpointId, via }, 'encoder replaced');
  }
  // The room closes an earlier endpoint of the same id (the replaced encoder) first.
  const media = await session.room.addEndpoint(`ingest:${holder.identity.endpointId}`);
  participant.ingest = { media, via };
  return { session, participant, media };
}

/**
 * A producer of the encoder joins the endpoint's media: a muted site stays muted, the active
 * speaker hears it, receivers follow its arrival and its end.
 */
export function announceProducer(
  opened: OpenedIngest,
  producer: types.Producer<EndpointAppData>,
): void {
  const { session, participant } = opened;
  if (producer.kind === 'audio') {
    if (session.chair.isMuted(participant.siteId)) void producer.pause().catch(() => {});
    void session.room.observeAudio(producer);
  }
  producer.observer.once('close', () => session.ingestChanged(participant));
  session.ingestChanged(participant);
}

/** Ends an encoder's media, if it is still the endpoint's current one. */
export function closeIngest(opened: OpenedIngest, reason: string): void {
  const { participant, media, session } = opened;
  media.close(reason);
  if (participant.ingest?.media === media) participant.ingest = undefined;
  session.ingestChanged(participant);
}
