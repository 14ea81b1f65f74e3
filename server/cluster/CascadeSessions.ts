import type { types } from 'mediasoup';
import { z } from 'zod';
import { type RequestName, requests } from '../../protocol/socket.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import { rosterSchema, type SessionPeers } from '../../signaling/session/SessionPeers.js';
import type { Logger } from '../logger.js';
import type { Cascade } from './Cascade.js';
import type { ClusterBus } from './ClusterBus.js';

const meetingRefSchema = z.object({ meetingId: z.string().min(1) });
const chairSnapshotSchema = z.object({
  status: z.enum(['waiting', 'live', 'ended']),
  startedAt: z.string().optional(),
  agendaIndex: z.int(),
  floorSiteId: z.string().optional(),
  hands: z.record(z.string(), z.number()),
  mutedSiteIds: z.array(z.string()),
  itCallSiteId: z.string().optional(),
});
const chairSchema = meetingRefSchema.extend({ snapshot: chairSnapshotSchema });
const forwardSchema = meetingRefSchema.extend({
  endpointId: z.string().min(1),
  name: z.string().refine((n) => Object.hasOwn(requests, n), 'unknown request'),
  payload: z.unknown(),
});
const wantSchema = meetingRefSchema.extend({ producerId: z.string().min(1) });

export interface CascadeSessionsOptions {
  bus: ClusterBus;
  cascade: Cascade;
  signaling: SignalingServer;
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
 * meeting's other nodes over the cluster bus (SessionPeers), and watches them: an edge closes
 * its session when the owner no longer holds the meeting (its pages reconnect and are placed
 * again), and the endpoints of a node that stopped go offline everywhere.
 */
export class CascadeSessions {
  private readonly log: Logger;
  private readonly timer: NodeJS.Timeout;
  /** Pipes being asked for, so concurrent receivers wait for one. */
  private readonly fetching = new Map<string, Promise<types.Producer | undefined>>();

  constructor(private readonly o: CascadeSessionsOptions) {
    this.log = o.logger.child({ component: 'cascade-sessions' });
    const { bus, signaling } = o;
    bus.on('live.roster', (payload, from) => {
      const roster = rosterSchema.parse(payload);
      signaling.session(roster.meetingId)?.mirror?.applyRoster(from, roster);
    });
    bus.on('live.rosterRequest', (payload) => {
      const { meetingId } = meetingRefSchema.parse(payload);
      signaling.session(meetingId)?.mirror?.publishAll();
    });
    bus.on('live.chair', async (payload, from) => {
      const { meetingId, snapshot } = chairSchema.parse(payload);
      const session = signaling.session(meetingId);
      if (session?.edgeOf === from) await session.mirror?.follow(snapshot);
    });
    bus.handle('live.forward', async (payload) => {
      const r = forwardSchema.parse(payload);
      return signaling.forwarded(r.meetingId, r.endpointId, r.name as RequestName, r.payload);
    });
    bus.handle('live.want', async (payload, from) => {
      const { meetingId, producerId } = wantSchema.parse(payload);
      await this.sendTo(from, meetingId, producerId);
      return {};
    });
    this.timer = setInterval(() => void this.watch(), o.watchMs ?? 1000);
    this.timer.unref();
  }

  /** A session opened here: the meeting's other nodes tell it who they carry. */
  opened(session: MeetingSession): void {
    void this.o.bus
      .publish('live.rosterRequest', { meetingId: session.meetingId })
      .catch((err) => this.log.warn({ err, meetingId: session.meetingId }, 'roster not asked'));
  }

  /** The other nodes of one meeting's session, as that session reaches them. */
  peers(meetingId: string, ownerNodeId?: string): SessionPeers {
    const { bus } = this.o;
    const publish = (name: string, payload: object) =>
      void bus
        .publish(name, { meetingId, ...payload })
        .catch((err) => this.log.warn({ err, meetingId, name }, 'cascade message not sent'));
    return {
      ...(ownerNodeId ? { ownerNodeId } : {}),
      publishRoster: (roster) => publish('live.roster', roster),
      publishChair: (snapshot) => publish('live.chair', { snapshot }),
      forward: async (endpointId, name, payload) => {
        if (!ownerNodeId) throw new Error('the owner decides by itself');
        return bus.request(ownerNodeId, 'live.forward', { meetingId, endpointId, name, payload });
      },
      fetch: (nodeId, producerId) => this.fetch(meetingId, nodeId, producerId),
    };
  }

  private fetch(meetingId: string, nodeId: string, producerId: string) {
    const here = this.o.cascade.edgeProducers(meetingId).get(producerId);
    if (here && !here.closed) return Promise.resolve(here);
    const key = `${meetingId}|${producerId}`;
    let fetching = this.fetching.get(key);
    if (!fetching) {
      fetching = this.o.bus
        .request(nodeId, 'live.want', { meetingId, producerId })
        .then(() => this.o.cascade.edgeProducers(meetingId).get(producerId))
        .finally(() => this.fetching.delete(key));
      this.fetching.set(key, fetching);
    }
    return fetching;
  }

  /** Another node wants one of this node's producers of the meeting: pipe it there. */
  private async sendTo(nodeId: string, meetingId: string, producerId: string): Promise<void> {
    const room = this.o.signaling.session(meetingId)?.room;
    for (const endpointId of room?.endpointIds ?? []) {
      const endpoint = room?.endpoint(endpointId);
      const producer = endpoint?.producers.get(producerId);
      if (endpoint && producer && !producer.closed) {
        await this.o.cascade.send(meetingId, nodeId, endpoint.router, producer);
        return;
      }
    }
    throw new Error(`no producer ${producerId} of meeting ${meetingId} here`);
  }

  private async watch(): Promise<void> {
    try {
      const sessions = [...this.o.signaling.openSessions()].filter((s) => s.mirror);
      if (!sessions.length) return;
      const live = await this.o.liveNodes();
      for (const session of sessions) {
        for (const nodeId of session.mirror?.remoteNodes() ?? [])
          if (!live.has(nodeId)) session.mirror?.nodeGone(nodeId);
        const edgeOf = session.edgeOf;
        if (edgeOf === undefined) continue;
        const owner = await this.o.ownerOf(session.meetingId);
        if (owner !== edgeOf) {
          this.log.warn({ meetingId: session.meetingId, owner: edgeOf }, 'owner gone: edge closes');
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
