import type { Actor } from '../../protocol/auth.js';
import type { LiveEvent } from '../../protocol/clusterBus.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import { AppError } from '../../protocol/errors.js';
import { type Meeting, type MeetingAction, meetingSchema } from '../../protocol/meetings.js';
import type { Text } from '../../protocol/text.js';
import type { SessionDirectory, SignalingPrincipal } from '../../signaling/SessionDirectory.js';
import type { SessionMeetingInfo } from '../../signaling/session/MeetingSession.js';
import type { ClusterBus } from '../cluster/ClusterBus.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';

/** Lifecycle actions as HTTP (or any other door) asks for them. */
export interface MeetingLifecycle {
  perform(id: string, action: MeetingAction, actor: Actor, expected?: number): Promise<Meeting>;
}

const endReasons: Record<'end' | 'cancel', Text> = {
  end: { vi: 'Tổ CNTT đã kết thúc hội nghị', en: 'IT staff ended the meeting' },
  cancel: { vi: 'Hội nghị đã bị hủy', en: 'The meeting was cancelled' },
};

const revokedReason: Text = {
  vi: 'Liên kết đã bị thu hồi. Hãy dùng liên kết mới',
  en: 'This link was revoked. Use the new link you were sent',
};
const loggedOutReason: Text = { vi: 'Phiên đăng nhập đã kết thúc', en: 'Your login has ended' };

function actorName(actor: Actor): string {
  return actor.name ?? `${actor.kind}:${actor.id ?? ''}`;
}

/** The meeting's record as the live session needs it. */
export async function sessionInfoOf(
  data: DataServices,
  meeting: Meeting,
): Promise<SessionMeetingInfo> {
  const sites = await data.sites.getMany(meeting.sites.map((s) => s.siteId));
  return {
    title: meeting.title,
    sites: new Map([...sites.values()].map((s) => [s.id, s.name])),
    agendaLength: meeting.agenda.length,
    live: meeting.state === 'live',
  };
}

/** Actions that go through the session while one is open (on whichever node). */
const sessionActions = new Set<MeetingAction>(['end', 'cancel', 'goLive']);

/** Several nodes: the bus between them and who owns which meeting's session. */
export interface LiveCluster {
  bus: ClusterBus;
  nodeId: string;
  /** The node holding the meeting's lease, if any. */
  ownerOf(meetingId: string): Promise<string | undefined>;
}

/**
 * The one place where the stored meeting and its live session meet. While a session is open it
 * owns the meeting's live state: ending, cancelling and going live go through it (it tells the
 * endpoints, closes the media, then writes the store), on the node that runs it: an action that
 * reaches another node is forwarded there. Edits to the meeting and ended access (revoked links,
 * ended logins) reach the sessions and sockets of every node within a Redis round trip. Without
 * a session, actions write the store directly.
 */
export class LiveMeetings implements MeetingLifecycle {
  private readonly log: Logger;

  constructor(
    private readonly data: DataServices,
    logger: Logger,
    /** This node's live sessions. */
    private readonly sessions: SessionDirectory,
    /** Several nodes: the bus to the others and who owns a meeting. */
    private readonly cluster?: LiveCluster,
  ) {
    this.log = logger.child({ component: 'live-meetings' });
    this.listen();
    if (cluster) this.listenToNodes(cluster);
  }

  async perform(
    id: string,
    action: MeetingAction,
    actor: Actor,
    expected?: number,
  ): Promise<Meeting> {
    const session = this.sessions.session(id);
    const cluster = this.cluster;
    if ((!session || session.isClosed) && cluster && sessionActions.has(action)) {
      const owner = await cluster.ownerOf(id);
      if (owner && owner !== cluster.nodeId) {
        try {
          const payload = { id, action, actor, ...(expected !== undefined ? { expected } : {}) };
          const answer = await cluster.bus.request(owner, 'live.perform', payload, 10_000);
          return meetingSchema.parse(answer);
        } catch (err) {
          // The owner died meanwhile: its session is gone with it; write the store here.
          if (!(err instanceof AppError && err.code === 'unavailable')) throw err;
          this.log.warn({ meetingId: id, owner }, 'owner did not answer: acting here');
        }
      }
    }
    return this.performHere(id, action, actor, expected);
  }

  private async performHere(
    id: string,
    action: MeetingAction,
    actor: Actor,
    expected?: number,
  ): Promise<Meeting> {
    const session = this.sessions.session(id);
    if (!session || session.isClosed)
      return this.data.meetings.transition(id, action, actor, expected);
    if (action === 'end' || action === 'cancel') {
      await this.data.meetings.assertAllowed(id, action, expected);
      await session.end(actorName(actor), endReasons[action], action);
      return this.data.meetings.get(id);
    }
    if (action === 'goLive') {
      await this.data.meetings.assertAllowed(id, action, expected);
      await session.start(actorName(actor));
      return this.data.meetings.get(id);
    }
    return this.data.meetings.transition(id, action, actor, expected);
  }

  /** Applies a change to this node's sessions and sockets. */
  private async apply(event: LiveEvent): Promise<void> {
    const { meetings } = this.data;
    switch (event.kind) {
      case 'meetingUpdated': {
        const session = this.sessions.session(event.meetingId);
        if (session && !session.isClosed)
          await session.applyInfo(
            await sessionInfoOf(this.data, await meetings.get(event.meetingId)),
          );
        return;
      }
      case 'meetingEnded': {
        const session = this.sessions.session(event.meetingId);
        if (!session || session.isClosed) return;
        await session.end('system', endReasons[event.to === 'ended' ? 'end' : 'cancel']);
        return;
      }
      // A renamed site is renamed on every page of the sessions it takes part in.
      case 'siteRenamed':
        for (const session of this.sessions.openSessions()) {
          if (!session.participant(siteEndpointId(event.siteId))) continue;
          await session.applyInfo(
            await sessionInfoOf(this.data, await meetings.get(session.meetingId)),
          );
        }
        return;
      case 'meetingDeleted':
        this.sessions.session(event.meetingId)?.close('meeting deleted');
        return;
      case 'accessEnded': {
        const m = event.match;
        const match = (p: SignalingPrincipal) =>
          'linkId' in m
            ? p.credential?.kind === 'link' && p.credential.linkId === m.linkId
            : 'sessionHash' in m
              ? p.credential?.kind === 'login' && p.credential.sessionHash === m.sessionHash
              : p.credential?.kind === 'login' && p.userId === m.userId;
        this.sessions.disconnectWhere(
          match,
          event.reason === 'revoked' ? revokedReason : loggedOutReason,
        );
      }
    }
  }

  /** Applies here, then tells the other nodes. */
  private happened(event: LiveEvent): void {
    Promise.resolve()
      .then(() => this.apply(event))
      .catch((err) => this.log.error({ err, event: event.kind }, 'live update failed'));
    this.cluster?.bus
      .publish('live.event', event)
      .catch((err) => this.log.warn({ err, event: event.kind }, 'live update not published'));
  }

  /** The domain's events reach the sessions (and, through the bus, the other nodes'). */
  private listen(): void {
    const { meetings, access } = this.data;
    meetings.on('meetingUpdated', (meeting) =>
      this.happened({ kind: 'meetingUpdated', meetingId: meeting.id }),
    );
    // A state written behind the session's back (another process, a job) still ends it.
    meetings.on('meetingStateChanged', ({ meetingId, to }) => {
      if (to === 'ended' || to === 'cancelled')
        this.happened({ kind: 'meetingEnded', meetingId, to });
    });
    this.data.sites.on('siteUpdated', (site, previous) => {
      if (site.name !== previous.name) this.happened({ kind: 'siteRenamed', siteId: site.id });
    });
    meetings.on('meetingDeleted', ({ meetingId }) =>
      this.happened({ kind: 'meetingDeleted', meetingId }),
    );
    access.on('linkRevoked', ({ linkId }) =>
      this.happened({ kind: 'accessEnded', reason: 'revoked', match: { linkId } }),
    );
    access.on('loginEnded', ({ sessionHash }) =>
      this.happened({ kind: 'accessEnded', reason: 'loggedOut', match: { sessionHash } }),
    );
    access.on('userLoginsEnded', ({ userId }) =>
      this.happened({ kind: 'accessEnded', reason: 'loggedOut', match: { userId } }),
    );
  }

  /** Several nodes: hear the others' changes and run the actions forwarded to this node. */
  private listenToNodes(cluster: LiveCluster): void {
    cluster.bus.on('live.event', (event) => this.apply(event));
    cluster.bus.handle('live.perform', (r) =>
      this.performHere(r.id, r.action, r.actor, r.expected),
    );
  }
}
