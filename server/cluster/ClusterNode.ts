import { hostname } from 'node:os';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import type { WorkerPool } from '../../media/WorkerPool.js';
import { AppError } from '../../protocol/errors.js';
import {
  connectError,
  type SessionDirectory,
  type SignalingPrincipal,
} from '../../signaling/SessionDirectory.js';
import type { MeetingNodes } from '../../signaling/session/MeetingNodes.js';
import { placeAsEdge } from '../../signaling/socketPlacement.js';
import type { Logger } from '../logger.js';
import { connectRedis } from '../redis/connectRedis.js';
import type { Keys } from '../store/keys.js';
import { Cascade } from './Cascade.js';
import { CascadeSessions } from './CascadeSessions.js';
import { ClusterBus, redisTransport } from './ClusterBus.js';
import { MeetingPlacement } from './MeetingPlacement.js';
import { type NodeLoad, NodeRegistry } from './NodeRegistry.js';
import { NodeWatch } from './NodeWatch.js';
import { SitePlacement } from './SitePlacement.js';
import { WorkerCpuSampler } from './workerCpu.js';

export interface ClusterNodeOptions {
  redis: Redis;
  redisUrl: string;
  keys: Keys;
  config: Pick<Config, 'cluster' | 'media'>;
  /** Where browsers reach this node directly; read at each heartbeat (the port may be known late). */
  nodeUrl: () => string;
  logger: Logger;
  /** The media workers, whose CPU counts in the node's load. */
  pool?: WorkerPool;
  /** This node's live sessions and their socket.io server (made before the cluster). */
  sessions: SessionDirectory;
}

/** Writes that only the holder of a meeting's lease may make (createSignaling's saved state). */
export interface FencedWrites {
  set(meetingId: string, key: string, value: string, exSeconds: number): Promise<boolean>;
  del(meetingId: string, key: string): Promise<boolean>;
}

/**
 * This process as one node of several on one Redis: its registry entry (URL, media address,
 * load, heartbeat), the placement of meetings on nodes with leases, socket.io's Redis adapter so
 * notifications reach sockets on every node, and the handshake rule that sends a connection for
 * a meeting owned elsewhere to its owner. Created after the session directory and before
 * signaling (the sessions write through its fence); it sees sessions only through the directory.
 */
export class ClusterNode {
  private cascadeSessions?: CascadeSessions;
  /** Where each site of a cascaded meeting connects. */
  readonly sites: SitePlacement;
  private adapterRedis?: Redis;
  private readonly adapterDuplicates: Redis[] = [];
  private closing?: Promise<void>;
  readonly fence: FencedWrites;
  private readonly watch: NodeWatch;

  private constructor(
    readonly registry: NodeRegistry,
    readonly placement: MeetingPlacement,
    /** Events and requests between the nodes (Redis pub/sub). */
    readonly bus: ClusterBus,
    private readonly options: ClusterNodeOptions,
    private readonly cpu?: WorkerCpuSampler,
    /** Pipes of meetings cascaded over several nodes (absent without media workers). */
    readonly cascade?: Cascade,
  ) {
    this.sites = new SitePlacement({
      redis: options.redis,
      keys: options.keys,
      registry,
      placement,
      selfId: registry.id,
      sitesPerNode: options.pool ? options.config.cluster.sitesPerNode : 0,
      logger: options.logger,
    });
    this.fence = {
      set: (meetingId, key, value, ex) => placement.fencedSet(meetingId, key, value, ex),
      del: (meetingId, key) => placement.fencedDel(meetingId, key),
    };
    this.watch = new NodeWatch({
      selfId: registry.id,
      list: () => registry.list(),
      listening: (nodeId) => bus.listening(nodeId),
      evict: (node) => registry.evict(node),
      gone: () => this.cascadeSessions?.nodeGone(),
      heartbeatMs: registry.heartbeatMs,
      logger: options.logger,
    });
  }

  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const { config, redis, keys, logger } = options;
    const self = {
      id: config.cluster.nodeId ?? `${hostname()}-${process.pid}`,
      get url() {
        return options.nodeUrl();
      },
    };
    let node: ClusterNode | undefined;
    const registry = new NodeRegistry({
      redis,
      keys,
      logger,
      node: {
        id: self.id,
        get url() {
          return options.nodeUrl();
        },
        mediaAddress: config.media.announcedAddress,
      },
      load: () => node?.load() ?? { sessions: 0, endpoints: 0, consumers: 0, workerCpu: 0 },
      ttlMs: config.cluster.leaseSeconds * 1000,
      heartbeatMs: config.cluster.heartbeatMs,
    });
    const placement = new MeetingPlacement({
      redis,
      keys,
      registry,
      self,
      logger,
      leaseMs: config.cluster.leaseSeconds * 1000,
    });
    const bus = await ClusterBus.start({
      transport: redisTransport(redis, logger),
      prefix: keys.prefix,
      nodeId: self.id,
      logger,
    });
    const cpu = options.pool ? new WorkerCpuSampler(options.pool, logger) : undefined;
    cpu?.start();
    const cascade = options.pool
      ? new Cascade({
          bus,
          nodeId: self.id,
          address: {
            listenIp: config.media.listenIp,
            announcedAddress: config.media.announcedAddress,
          },
          alive: async (nodeId) => (await registry.find(nodeId)) !== undefined,
          receiver: (meetingId) => {
            const room = options.sessions.session(meetingId)?.room;
            const target = room && !room.isClosed ? room.pipeTarget() : undefined;
            return room && target ? { epoch: room.epoch, ...target } : undefined;
          },
          producer: (meetingId, producerId) => {
            const room = options.sessions.session(meetingId)?.room;
            for (const endpointId of room?.endpointIds ?? []) {
              const endpoint = room?.endpoint(endpointId);
              const producer = endpoint?.producers.get(producerId);
              if (endpoint && producer) return { router: endpoint.router, producer };
            }
            return undefined;
          },
          arrived: (meetingId, producer, workerIndex) =>
            options.sessions.session(meetingId)?.room.adoptForeign(producer, workerIndex),
          logger,
        })
      : undefined;
    node = new ClusterNode(registry, placement, bus, options, cpu, cascade);
    await node.joinSessions();
    await registry.start();
    return node;
  }

  get nodeId(): string {
    return this.registry.id;
  }

  /** What this node carries now, for placement. */
  load(): NodeLoad {
    const load = { sessions: 0, endpoints: 0, consumers: 0, workerCpu: this.cpu?.cpuPercent ?? 0 };
    for (const session of this.options.sessions.openSessions()) {
      load.sessions++;
      load.endpoints += session.room.endpointIds.length;
      for (const r of session.room.routerLoad.values()) load.consumers += r.consumers;
    }
    return load;
  }

  /**
   * The other nodes of a meeting's session, when meetings cascade (`cluster.sitesPerNode`):
   * given to each session as it opens (`ownerNodeId` on an edge).
   */
  peers(meetingId: string, ownerNodeId?: string): MeetingNodes | undefined {
    return this.cascadeSessions?.peers(meetingId, ownerNodeId);
  }

  /** The sessions' side of the cluster: adapter, handshake placement, lease holding. */
  private async joinSessions(): Promise<void> {
    const { redisUrl, keys, logger, sessions } = this.options;
    if (this.cascade && this.sites.cascades)
      this.cascadeSessions = new CascadeSessions({
        bus: this.bus,
        cascade: this.cascade,
        sessions,
        ownerOf: async (meetingId) => (await this.placement.current(meetingId))?.nodeId,
        liveNodes: async () => new Set((await this.registry.list()).map((n) => n.id)),
        logger,
      });
    // Its own connection: the adapter duplicates it for a blocking XREAD and for pub/sub.
    const log = logger.child({ component: 'io-adapter' });
    const client = await connectRedis(redisUrl, log, { maxRetriesPerRequest: null });
    this.adapterRedis = client;
    // The duplicates are ours to close: the adapter's own shutdown waits for its blocking read,
    // which never returns if Redis is gone, and they need an error listener like any client.
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (override) => {
      const copy = duplicate(override);
      copy.on('error', (err) => log.debug({ err: err.message }, 'adapter redis error'));
      this.adapterDuplicates.push(copy);
      return copy;
    };
    sessions.io.adapter(
      createAdapter(client, {
        streamName: `${keys.prefix}socket.io`,
        channelPrefix: `${keys.prefix}socket.io`,
        // Short, so closing the adapter ends its blocking read quickly.
        blockTimeInMs: 1000,
        onlyPlaintext: true,
      }),
    );
    // Runs after the signaling's own authentication, which set the principal.
    sessions.io.use((socket, next) => {
      const principal = socket.data.principal as SignalingPrincipal | undefined;
      if (!principal) return next();
      const who = {
        ...(principal.role === 'site' && principal.siteId ? { siteId: principal.siteId } : {}),
        watcher: principal.role === 'it',
      };
      this.sites
        .admit(principal.meetingId, who)
        .then((admission) => {
          if (admission.here) {
            // A site placed here while the session runs on another node: this node is its edge.
            if (admission.ownerNodeId) placeAsEdge(socket, admission.ownerNodeId);
            return next();
          }
          next(
            connectError(
              new AppError(
                'conflict',
                {
                  vi: 'Hội nghị đang chạy trên máy chủ khác',
                  en: 'The meeting runs on another server',
                },
                { ownerUrl: admission.url },
              ),
            ),
          );
        })
        .catch((err: unknown) => {
          logger.warn({ err, meetingId: principal.meetingId }, 'placement failed');
          next(
            connectError(
              new AppError('unavailable', { vi: 'Chưa xếp được hội nghị', en: 'Try again' }),
            ),
          );
        });
    });
    sessions.events.on('sessionOpened', (session) => {
      this.cascadeSessions?.opened(session);
      // An edge holds no lease: the owner does, and the edge closes when the owner goes.
      if (!session.role.decides) return;
      const release = this.placement.hold(session.meetingId, () =>
        session.close('the meeting moved to another server'),
      );
      session.once('closed', () => {
        void release().catch((err) =>
          logger.warn({ err, meetingId: session.meetingId }, 'lease release failed'),
        );
      });
    });
  }

  /** Leaves the cluster: leases released (others may take the meetings at once), record removed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const log = this.options.logger;
      await this.placement.releaseAll().catch((err) => log.warn({ err }, 'lease release failed'));
      this.watch.stop();
      await this.registry.close().catch((err) => log.warn({ err }, 'node deregistration failed'));
      this.cpu?.stop();
      this.cascadeSessions?.close();
      this.cascade?.close();
      this.bus.close();
      this.options.sessions.io.of('/').adapter.close();
      // Nothing to flush: a quit would wait for a Redis that may already be gone.
      for (const copy of this.adapterDuplicates) copy.disconnect();
      this.adapterRedis?.disconnect();
    })();
    return this.closing;
  }
}
