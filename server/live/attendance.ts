import type { SessionState } from '../../protocol/socket.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { AttendanceService, SessionLogEntry } from '../attendance/AttendanceService.js';
import type { Logger } from '../logger.js';

/**
 * The one subscriber of attendance to the live sessions: every join, leave, floor change,
 * agenda move and status change goes to the meeting's session log, in the order it happened.
 * It only observes; the session never waits for it.
 */
export function recordAttendance(
  signaling: SignalingServer,
  attendance: AttendanceService,
  logger: Logger,
): () => void {
  const log = logger.child({ component: 'attendance-live' });
  const onOpened: Parameters<typeof signaling.events.on<'sessionOpened'>>[1] = (session) => {
    const meetingId = session.meetingId;
    const write = (entry: SessionLogEntry) =>
      void attendance
        .logEvent(meetingId, entry)
        .catch((err) => log.warn({ err, meetingId }, 'session event not recorded'));
    let last: SessionState | undefined;
    session.on('endpointJoined', (p) =>
      write({
        kind: 'joined',
        endpointId: p.endpointId,
        role: p.role,
        ...(p.siteId ? { siteId: p.siteId } : {}),
        name: p.name,
        at: p.at,
      }),
    );
    session.on('endpointLeft', (p) =>
      write({
        kind: 'left',
        endpointId: p.endpointId,
        role: p.role,
        ...(p.siteId ? { siteId: p.siteId } : {}),
        name: p.name,
        at: p.at,
        reason: p.reason,
      }),
    );
    session.on('stateChanged', (s) => {
      const at = Date.now();
      if (s.status !== last?.status) write({ kind: 'status', status: s.status, at });
      if (s.agendaIndex !== (last?.agendaIndex ?? -1) && s.agendaIndex >= 0)
        write({ kind: 'agenda', agendaIndex: s.agendaIndex, at });
      if (s.floorSiteId !== last?.floorSiteId)
        write({ kind: 'floor', ...(s.floorSiteId ? { siteId: s.floorSiteId } : {}), at });
      last = s;
    });
  };
  signaling.events.on('sessionOpened', onOpened);
  return () => signaling.events.off('sessionOpened', onOpened);
}
