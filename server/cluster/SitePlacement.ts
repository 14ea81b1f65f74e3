import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Keys } from '../store/keys.js';
import type { Lease, MeetingPlacement } from './MeetingPlacement.js';
import { loadScore, type NodeRegistry } from './NodeRegistry.js';

/**
 * Picks the node of one site in one step, so sites joining at the same second never both take
 * the last place of a node: keeps the site's node while it is still a candidate (alive), else
 * the first candidate (the owner first, then the lightest) carrying fewer than the cap, else the
 * candidate carrying the fewest.
 * KEYS[1] the meeting's site→node hash; ARGV: siteId, cap, ttl seconds, candidates...
 */
const ASSIGN_SITE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local cap = tonumber(ARGV[2])
local counts, order = {}, {}
for i = 4, #ARGV do counts[ARGV[i]] = 0; order[#order + 1] = ARGV[i] end
if current and counts[current] ~= nil then return current end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local node = all[i + 1]
  if all[i] ~= ARGV[1] and counts[node] ~= nil then counts[node] = counts[node] + 1 end
end
local pick = nil
for _, n in ipairs(order) do if counts[n] < cap then pick = n; break end end
if not pick then
  pick = order[1]
  for _, n in ipairs(order) do if counts[n] < counts[pick] then pick = n end end
end
redis.call('HSET', KEYS[1], ARGV[1], pick)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return pick`;

/** A site's assignments outlive a long day of meetings, not the meeting's record. */
const ASSIGNMENT_TTL_SECONDS = 2 * 24 * 3600;

/** Where one endpoint's connection is served. */
export type SiteAdmission =
  /** Here: as the owner of the session, or as an edge of the session of `ownerNodeId`. */
  { here: true; lease: Lease; ownerNodeId?: string } | { here: false; lease: Lease; url: string };

export interface SitePlacementOptions {
  redis: Redis;
  keys: Keys;
  registry: NodeRegistry;
  placement: MeetingPlacement;
  selfId: string;
  /** Sites one node carries of a meeting before further sites go to other nodes; 0: never. */
  sitesPerNode: number;
  logger: Logger;
}

/**
 * The cascade's placement: the owner node carries a meeting's first `sitesPerNode` sites, the
 * next ones go to the other live nodes (the lightest first), each up to the same cap. A site
 * keeps its node while that node lives, so a reconnect comes back to the same place. The main
 * point, the chair and IT always connect to the owner.
 */
export class SitePlacement {
  private readonly log: Logger;

  constructor(private readonly options: SitePlacementOptions) {
    this.log = options.logger.child({ component: 'site-placement', nodeId: options.selfId });
  }

  get cascades(): boolean {
    return this.options.sitesPerNode > 0;
  }

  /** The node that serves this site's connection (placing the meeting if needed). */
  async nodeOf(
    meetingId: string,
    siteId: string,
  ): Promise<{ lease: Lease; nodeId: string; url: string }> {
    const { redis, keys, registry, placement, sitesPerNode } = this.options;
    const lease = await placement.locate(meetingId);
    if (!this.cascades) return { lease, nodeId: lease.nodeId, url: lease.url };
    const nodes = await registry.list();
    const others = nodes
      .filter((n) => n.id !== lease.nodeId)
      .sort((a, b) => loadScore(a.load) - loadScore(b.load) || a.id.localeCompare(b.id));
    const candidates = [lease.nodeId, ...others.map((n) => n.id)];
    const picked = (await redis.eval(
      ASSIGN_SITE,
      1,
      keys.meetingSiteNodes(meetingId),
      siteId,
      sitesPerNode,
      ASSIGNMENT_TTL_SECONDS,
      ...candidates,
    )) as string;
    if (picked === lease.nodeId) return { lease, nodeId: lease.nodeId, url: lease.url };
    const node = others.find((n) => n.id === picked);
    if (!node) return { lease, nodeId: lease.nodeId, url: lease.url };
    this.log.debug({ meetingId, siteId, node: picked }, 'site placed on an edge node');
    return { lease, nodeId: node.id, url: node.url };
  }

  /**
   * A connection arrived here: serve it (as owner or edge) or name the node that serves it.
   * `watcher`: IT staff, who may watch from any node of a cascaded meeting (their board and
   * grid are served where they connected; what they decide goes to the owner).
   */
  async admit(
    meetingId: string,
    who: { siteId?: string; watcher?: boolean } = {},
  ): Promise<SiteAdmission> {
    const { placement, selfId } = this.options;
    const { siteId } = who;
    if (who.watcher && this.cascades) {
      const lease = await placement.locate(meetingId);
      if (lease.nodeId !== selfId) return { here: true, lease, ownerNodeId: lease.nodeId };
    }
    if (siteId === undefined || !this.cascades) {
      const admission = await placement.admit(meetingId);
      return admission.here ? admission : { ...admission, url: admission.lease.url };
    }
    const target = await this.nodeOf(meetingId, siteId);
    if (target.nodeId !== selfId) return { here: false, lease: target.lease, url: target.url };
    if (target.lease.nodeId === selfId) {
      const admission = await placement.admit(meetingId);
      return admission.here ? admission : { ...admission, url: admission.lease.url };
    }
    return { here: true, lease: target.lease, ownerNodeId: target.lease.nodeId };
  }
}
