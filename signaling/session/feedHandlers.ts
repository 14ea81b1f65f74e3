import { forbidden } from '../../protocol/errors.js';
import type { HandlerGroup } from './handlerTypes.js';
import type { MeetingSession } from './MeetingSession.js';

/**
 * An endpoint's page picks what the others receive from it: its own devices or its encoder
 * (server/ingest/). Only the choice changes: the session, the floor and the programme go on,
 * and every receiver's consumers move to the producers now live (ConsumerReconciler).
 */
export function feedHandlers(s: MeetingSession): HandlerGroup<'chooseFeed'> {
  return {
    chooseFeed: async (p, { source }) => {
      if (p.role !== 'station' && p.role !== 'site')
        throw forbidden({
          vi: 'Chỉ điểm cầu chính và điểm cầu có bộ mã hóa',
          en: 'Only the main point and sites have an encoder',
        });
      if (p.feedChoice !== source) {
        p.feedChoice = source;
        s.log.info({ endpointId: p.endpointId, source }, 'feed chosen');
        // The chair's mute already holds for both microphones (chairEffects.enforceMute).
        s.ingestChanged(p);
      }
      return p.feed ?? { chosen: source, live: 'page' };
    },
  };
}
