import type { Server } from 'socket.io';
import type { MediaLogger } from '../../media/MediaLogger.js';
import type { Room } from '../../media/Room.js';
import type { CheckThresholds } from '../../protocol/check/index.js';
import type { CheckHooks } from '../ConnectionCheck.js';
import type { QualityThresholds } from '../quality.js';
import type { ChairSnapshot } from './ChairState.js';
import type { MeetingNodes } from './MeetingNodes.js';

export interface SessionMeetingInfo {
  title: string;
  /** siteId → display name, for the sites that belong to the meeting. */
  sites: ReadonlyMap<string, string>;
  agendaLength: number;
  /** Already live (e.g. the process restarted during the session). */
  live?: boolean;
  /** The chair's state as last saved (an idle-closed or restarted session resumes from it). */
  saved?: Partial<ChairSnapshot>;
}

/** How the session ends; the stored meeting's action follows from it. */
export type EndAction = 'end' | 'cancel';

export interface SessionHooks {
  /** Persist the lifecycle change (meeting state → live / ended / cancelled). */
  started(actor: string): Promise<void>;
  ended(actor: string, action: EndAction): Promise<void>;
  /** The chair's state changed: save it (fire and forget; failures are logged by the hook). */
  saveState?(snapshot: ChairSnapshot): void;
}

export interface MeetingSessionOptions {
  meetingId: string;
  room: Room;
  io: Server;
  info: SessionMeetingInfo;
  hooks: SessionHooks;
  /** ICE servers for one endpoint (its own TURN credentials). */
  iceServers: (
    endpointId: string,
  ) => { urls: string | string[]; username?: string; credential?: string }[];
  logger: MediaLogger;
  qualityThresholds: QualityThresholds;
  /** How often stats are sampled and pushed to the chair and IT views (ms). */
  statsIntervalMs?: number;
  /** With nobody connected for this long the session closes its media (ms). Default 2 min. */
  idleCloseMs?: number;
  /** The connection check: persistence hooks, thresholds, how long it measures. */
  check?: { hooks: CheckHooks; thresholds: CheckThresholds; measureMs?: number };
  /** The meeting's other nodes, when it is cascaded (absent on a single node). */
  peers?: MeetingNodes;
  onClosed: () => void;
}
