import type { Server as HttpServer } from 'node:http';
import type { Config } from '../../config/index.js';
import type { WorkerPool } from '../../media/WorkerPool.js';
import { chairSnapshotSchema } from '../../protocol/clusterBus.js';
import { meetingTransitions } from '../../protocol/meetings.js';
import type { CheckHooks } from '../../signaling/ConnectionCheck.js';
import { SessionDirectory } from '../../signaling/SessionDirectory.js';
import { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingNodes } from '../../signaling/session/MeetingNodes.js';
import type { SessionMeetingInfo } from '../../signaling/session/MeetingSession.js';
import type { FencedWrites } from '../cluster/ClusterNode.js';
import type { DataServices } from '../DataServices.js';
import { clientAddressOf, trustFor } from '../http/clientAddress.js';
import type { Logger } from '../logger.js';
import { sessionInfoOf } from './LiveMeetings.js';
import type { SignalingAccess } from './signalingAccess.js';

export { SignalingAccess, turnCredentials } from './signalingAccess.js';

export interface CreateSignalingOptions {
  /** The socket.io server and this node's sessions (createSessionDirectory). */
  directory: SessionDirectory;
  /** Who may connect, and their TURN credentials. */
  access: SignalingAccess;
  pool: WorkerPool;
  data: DataServices;
  config: Config;
  logger: Logger;
  /** The connection check's persistence per meeting (server/readiness); absent: no checks. */
  checkHooks?: (meetingId: string) => CheckHooks;
  /** Several nodes: the saved state is written only while this node holds the meeting's lease. */
  fence?: FencedWrites;
  /** Several nodes, meetings cascaded: the other nodes of a meeting's session. */
  peers?(meetingId: string, ownerNodeId?: string): MeetingNodes | undefined;
}

/**
 * The socket.io server on the HTTP server, with the department's authentication (join links,
 * IT logins) and the client address behind trusted proxies; made before the cluster, the checks
 * and the live layer, which are given it.
 */
export function createSessionDirectory(options: {
  httpServer: HttpServer;
  access: SignalingAccess;
  config: Config;
  logger: Logger;
}): SessionDirectory {
  const trust = trustFor(options.config.http.trustedProxies);
  return new SessionDirectory({
    httpServer: options.httpServer,
    logger: options.logger,
    authenticate: (credentials) => options.access.authenticate(credentials),
    clientAddress: (request) => clientAddressOf(request, trust),
  });
}

/**
 * Joins the signaling layer to the department's data: join tokens and IT sessions become
 * signaling principals, the meeting's sites and agenda feed the session, and starting or ending
 * the session moves the stored meeting through its lifecycle.
 */
export function createSignaling(options: CreateSignalingOptions): SignalingServer {
  const { data, config } = options;
  return new SignalingServer({
    directory: options.directory,
    pool: options.pool,
    logger: options.logger,
    meetingInfo: async (meetingId): Promise<SessionMeetingInfo> => {
      const meeting = await data.meetings.get(meetingId);
      const info = await sessionInfoOf(data, meeting);
      const saved = await data.store.read((r) => r.get(data.store.keys.meetingLive(meetingId)));
      // Only a session of this live meeting resumes; a saved state from before is stale.
      const parsed = saved ? chairSnapshotSchema.partial().safeParse(JSON.parse(saved)) : undefined;
      return parsed?.success && meeting.state === 'live' ? { ...info, saved: parsed.data } : info;
    },
    hooks: (meetingId) => ({
      started: async (actor) => {
        const meeting = await data.meetings.get(meetingId);
        if (meeting.state !== 'live') {
          await data.meetings.transition(meetingId, 'goLive', { kind: 'chair', name: actor });
        }
      },
      ended: async (actor, action) => {
        const meeting = await data.meetings.get(meetingId);
        const from: readonly string[] = meetingTransitions[action].from;
        if (from.includes(meeting.state))
          await data.meetings.transition(meetingId, action, { kind: 'chair', name: actor });
        const key = data.store.keys.meetingLive(meetingId);
        if (options.fence) await options.fence.del(meetingId, key);
        else await data.store.write((r) => r.del(key));
      },
      saveState: (snapshot) => {
        if (snapshot.status !== 'live') return;
        const key = data.store.keys.meetingLive(meetingId);
        const json = JSON.stringify(snapshot);
        (options.fence
          ? options.fence.set(meetingId, key, json, 172_800).then((written) => {
              if (!written)
                options.logger.warn(
                  { meetingId },
                  'live state not saved: this node lost the lease',
                );
            })
          : data.store.write((r) => r.set(key, json, 'EX', 172_800))
        ).catch((err) =>
          options.logger.warn({ err, meetingId }, 'could not save the live session state'),
        );
      },
    }),
    iceServers: (meetingId, endpointId) => options.access.iceServers(meetingId, endpointId),
    qualityThresholds: config.checks,
    ...(options.checkHooks
      ? { check: { hooks: options.checkHooks, thresholds: config.checks } }
      : {}),
    maxConsumersPerRouter: config.media.maxConsumersPerRouter,
    keyFrameRequestDelayMs: config.media.keyFrameRequestDelayMs,
    idleCloseMs: config.media.idleSessionCloseSeconds * 1000,
    ...(options.peers ? { peers: options.peers } : {}),
  });
}
