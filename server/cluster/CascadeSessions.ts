import type { RequestName } from '../../protocol/socket.js';
import type { SessionDirectory } from '../../signaling/SessionDirectory.js';
import type { MeetingNodes } from '../../signaling/session/MeetingNodes.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { Logger } from '../logger.js';
import type { Cascade } from './Cascade.js';
import type { ClusterBus } from './ClusterBus.js';

export interface CascadeSessionsOptions {
  bus: ClusterBus;
  cascade: Cascade;
  sessions: SessionDirectory;
  /** The node holding the meeting's lease. */
  ownerOf(meetingId: string): Promise<string | undefined>;
  /** Ids of the nodes that heartbeat now. */
  liveNodes(): Promise<Set<string>>;
  logger: Logger;
  /** How often sessions check that the nodes they mirror still live (ms). */
  watchMs?: number;
}

/**
 * The signaling half of the cascade (the media half is Cascade.ts): gives each session the
 * meeting's other nodes over the cluster bus (MeetingNodes), and watches them: an edge closes
 * its session when the owner no longer holds the meeting (its pages reconnect and are placed
 * again), and the endpoints of a node that stopped go offline everywhere.
 */
export class CascadeSessions {
  private readonly log: Logger;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: CascadeSessionsOptions) {
    this.log = o.logger.child({ component: 'cascade-sessions' });
    const { bus, sessions } = o;
    bus.on('live.roster', (roster, from) => {
      sessions.session(roster.meetingId)?.mirror?.applyRoster(from, roster);
    });
    bus.on('live.rosterRequest', ({ meetingId }) => {
      sessions.session(meetingId)?.mirror?.publishAll();
    });
    bus.on('live.chair', async ({ meetingId, snapshot }, from) => {
      const session = sessions.session(meetingId);
      if (session?.role.ownerNodeId === from) await session.mirror?.follow(snapshot);
    });
    bus.handle('live.forward', async (r) =>
      sessions.forwarded(r.meetingId, r.endpointId, r.name as RequestName, r.payload),
    );
    this.timer = setInterval(() => void this.watch(), o.watchMs ?? 500);
    this.timer.unref();
  }

  /** A session opened here: the meeting's other nodes tell it who they carry. */
  opened(session: MeetingSession): void {
    void this.o.bus
      .publish('live.rosterRequest', { meetingId: session.meetingId })
      .catch((err) => this.log.warn({ err, meetingId: session.meetingId }, 'roster not asked'));
  }

  /** The other nodes of one meeting's session, as that session reaches them. */
  peers(meetingId: string, ownerNodeId?: string): MeetingNodes {
    const { bus } = this.o;
    const sent = (name: string) => (err: unknown) =>
      this.log.warn({ err, meetingId, name }, 'cascade message not sent');
    return {
      ...(ownerNodeId ? { ownerNodeId } : {}),
      publishRoster: (roster) =>
        void bus.publish('live.roster', { meetingId, ...roster }).catch(sent('live.roster')),
      publishChair: (snapshot) =>
        void bus.publish('live.chair', { meetingId, snapshot }).catch(sent('live.chair')),
      forward: async (endpointId, name, payload) => {
        if (!ownerNodeId) throw new Error('the owner decides by itself');
        return bus.request(ownerNodeId, 'live.forward', { meetingId, endpointId, name, payload });
      },
      fetch: (nodeId, producerId) => this.o.cascade.fetch(meetingId, nodeId, producerId),
    };
  }

  /** A node was found dead: act now rather than at the next round. */
  nodeGone(): void {
    void this.watch();
  }

  private async watch(): Promise<void> {
    try {
      const sessions = [...this.o.sessions.openSessions()].filter((s) => s.mirror);
      if (!sessions.length) return;
      const live = await this.o.liveNodes();
      for (const session of sessions) {
        for (const nodeId of session.mirror?.remoteNodes() ?? [])
          if (!live.has(nodeId)) session.mirror?.nodeGone(nodeId);
        // Only an edge watches its owner.
        const ownerNodeId = session.role.ownerNodeId;
        if (!ownerNodeId) continue;
        // The owner's node was found dead (NodeWatch), or its lease is gone or elsewhere.
        const owner = live.has(ownerNodeId) ? await this.o.ownerOf(session.meetingId) : undefined;
        if (owner !== ownerNodeId) {
          this.log.warn(
            { meetingId: session.meetingId, owner: ownerNodeId },
            'owner gone: edge closes',
          );
          session.close('the owner of the meeting is gone');
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'cascade watch failed');
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
