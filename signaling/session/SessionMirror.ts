import type { MediaLogger } from '../../media/MediaLogger.js';
import type { MediaSource } from '../../protocol/socket.js';
import type { ChairChange, ChairSnapshot, ChairState } from './ChairState.js';
import { Participant } from './Participant.js';
import type { Roster, RosterEntry, SessionPeers } from './SessionPeers.js';

export interface SessionMirrorOptions {
  peers: SessionPeers;
  chair: ChairState;
  log: MediaLogger;
  participant(endpointId: string): Participant | undefined;
  participants(): Iterable<Participant>;
  /** An endpoint of another node joins the session's list. */
  add(p: Participant): void;
  /** These endpoints changed: tell the pages, reconcile the consumers. */
  changed(participants: Participant[]): void;
  /** Carry out a change of the chair's state (the edge's copy took the owner's new one). */
  apply(change: ChairChange): Promise<void>;
  isClosed(): boolean;
  /** The owner ended the session: the edge's pages were told by the owner; close here. */
  ended(): void;
}

/**
 * One session's view of the meeting's other nodes (a cascade; SessionPeers.ts): keeps their
 * endpoints in the session's list as remote participants, sends this node's own endpoints to
 * them, and on an edge takes the owner's chair state whole.
 */
export class SessionMirror {
  constructor(private readonly o: SessionMirrorOptions) {}

  get isEdge(): boolean {
    return this.o.peers.ownerNodeId !== undefined;
  }

  get ownerNodeId(): string | undefined {
    return this.o.peers.ownerNodeId;
  }

  /** What the other nodes learn of one endpoint of this node. */
  entryOf(p: Participant): RosterEntry {
    return {
      view: p.view(this.o.chair),
      producers: p.producers.map(({ producer }) => ({
        id: producer.id,
        source: producer.appData.source as MediaSource,
      })),
    };
  }

  private local(): Participant[] {
    return [...this.o.participants()].filter((p) => !p.remote);
  }

  /** The endpoints of this node among those that changed, to the other nodes. */
  publishChanges(changedIds: Iterable<string>, removed: string[]): void {
    const entries: RosterEntry[] = [];
    for (const id of changedIds) {
      const p = this.o.participant(id);
      if (p && !p.remote) entries.push(this.entryOf(p));
    }
    if (entries.length || removed.length)
      this.o.peers.publishRoster({ entries, removed, full: false });
  }

  /** Every endpoint of this node (a node joined the meeting, or this session closes). */
  publishAll(options: { offline?: boolean } = {}): void {
    const entries = this.local().map((p) => {
      const entry = this.entryOf(p);
      return options.offline
        ? { view: { ...entry.view, online: false, sources: [] }, producers: [] }
        : entry;
    });
    this.o.peers.publishRoster({ entries, removed: [], full: true });
    if (!this.isEdge) this.o.peers.publishChair(this.o.chair.snapshot());
  }

  /** Another node's endpoints, as it reported them. */
  applyRoster(from: string, roster: Roster): void {
    if (this.o.isClosed()) return;
    const changed: Participant[] = [];
    const seen = new Set<string>();
    for (const { view, producers } of roster.entries) {
      seen.add(view.endpointId);
      let p = this.o.participant(view.endpointId);
      // Connected here: this node's word counts.
      if (p && !p.remote && p.socket) continue;
      // The endpoint moved on: an old node's "offline" does not hide it where it is now.
      if (p?.remote && p.remote.nodeId !== from && p.remote.view.online && !view.online) continue;
      if (!p) {
        if (view.siteId !== undefined && !this.o.chair.hasSite(view.siteId)) continue;
        p = new Participant({
          endpointId: view.endpointId,
          role: view.role,
          ...(view.siteId !== undefined ? { siteId: view.siteId } : {}),
          name: view.name,
        });
        this.o.add(p);
      }
      p.remote = { nodeId: from, view, producers };
      p.name = view.name;
      changed.push(p);
    }
    for (const p of this.o.participants()) {
      const gone =
        roster.removed.includes(p.endpointId) || (roster.full && !seen.has(p.endpointId));
      if (gone && p.remote?.nodeId === from && p.remote.view.online) {
        this.offline(p);
        changed.push(p);
      }
    }
    if (changed.length) this.o.changed(changed);
  }

  /** A node stopped (its heartbeat expired): its endpoints are offline here. */
  nodeGone(nodeId: string): void {
    if (this.o.isClosed()) return;
    const changed = [...this.o.participants()].filter(
      (p) => p.remote?.nodeId === nodeId && p.remote.view.online,
    );
    for (const p of changed) this.offline(p);
    if (changed.length) {
      this.o.log.warn({ nodeId, endpoints: changed.length }, 'node gone: its endpoints offline');
      this.o.changed(changed);
    }
  }

  /** Nodes that other endpoints of the meeting run on now. */
  remoteNodes(): Set<string> {
    const nodes = new Set<string>();
    for (const p of this.o.participants()) if (p.remote?.view.online) nodes.add(p.remote.nodeId);
    return nodes;
  }

  private offline(p: Participant): void {
    if (!p.remote) return;
    p.remote = {
      ...p.remote,
      view: { ...p.remote.view, online: false, sources: [] },
      producers: [],
    };
  }

  /** The edge takes the owner's new chair state and does here what the change implies. */
  async follow(snapshot: ChairSnapshot): Promise<void> {
    if (this.o.isClosed() || !this.isEdge) return;
    const chair = this.o.chair;
    const before = chair.snapshot();
    chair.follow(snapshot);
    const after = chair.snapshot();
    const mutedBefore = new Set(before.mutedSiteIds);
    const mutedAfter = new Set(after.mutedSiteIds);
    const change: ChairChange = {
      media: true,
      muted: after.mutedSiteIds.filter((id) => !mutedBefore.has(id)),
      unmuted: before.mutedSiteIds.filter((id) => !mutedAfter.has(id)),
      ...(after.floorSiteId && after.floorSiteId !== before.floorSiteId
        ? { floorGranted: after.floorSiteId }
        : {}),
      ...(before.floorSiteId && before.floorSiteId !== after.floorSiteId
        ? { floorRevoked: before.floorSiteId }
        : {}),
      ...(before.itCallSiteId !== after.itCallSiteId
        ? {
            itCall: {
              ...(before.itCallSiteId ? { from: before.itCallSiteId } : {}),
              ...(after.itCallSiteId ? { to: after.itCallSiteId } : {}),
            },
          }
        : {}),
    };
    await this.o.apply(change);
    if (after.status === 'ended') this.o.ended();
  }
}
