import type { MediaLogger } from '../../media/MediaLogger.js';
import { ConnectionCheck } from '../ConnectionCheck.js';
import type { Participant } from './Participant.js';
import type { SessionNotifier } from './SessionNotifier.js';
import type { MeetingSessionOptions } from './sessionTypes.js';

/**
 * One session's connection check, and the sites it loops back: a site checking receives its own
 * camera and microphone back (the consumer rules read the set), reached on this node or another.
 */
export function sessionCheck(
  settings: NonNullable<MeetingSessionOptions['check']>,
  deps: {
    log: MediaLogger;
    sites(): ReadonlyMap<string, string>;
    participant(endpointId: string): Participant | undefined;
    notifier: SessionNotifier;
    /** The site's consumers follow the rules again. */
    reconcile(p: Participant): void;
  },
): { check: ConnectionCheck; loopback: ReadonlySet<string> } {
  const loopback = new Set<string>();
  const check = new ConnectionCheck({
    ...settings,
    logger: deps.log,
    sites: deps.sites,
    participant: deps.participant,
    setLoopback: (p, on) => {
      if (!p.siteId) return;
      if (on) loopback.add(p.siteId);
      else loopback.delete(p.siteId);
      deps.reconcile(p);
    },
    emitTo: (p, name, payload) => deps.notifier.toParticipant(p, name, payload),
  });
  return { check, loopback };
}
