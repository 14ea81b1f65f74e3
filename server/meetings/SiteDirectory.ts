import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import type { Actor } from '../../protocol/auth.js';
import { conflict, fieldsError, notFound } from '../../protocol/errors.js';
import { type Meeting, meetingSchema } from '../../protocol/meetings.js';
import type { siteInputSchema } from '../../protocol/sites.js';
import { type Site, siteSchema } from '../../protocol/sites.js';
import type { Logger } from '../logger.js';
import { type AuditLog, diffRecords } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { assertVersion } from '../store/versions.js';

export type SiteInputParsed = z.output<typeof siteInputSchema>;

export interface SiteDirectoryOptions {
  store: RedisStore;
  audit: AuditLog;
  logger: Logger;
}

const collator = new Intl.Collator('vi');
const what = { vi: 'Điểm cầu', en: 'The site' };

/** Domain events; live sessions follow a renamed site. */
export interface SiteDirectoryEvents {
  siteUpdated: [site: Site, previous: Site];
}

/** The department's register of bridge points, reused by every meeting. */
export class SiteDirectory extends EventEmitter<SiteDirectoryEvents> {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly logger: Logger;

  constructor(options: SiteDirectoryOptions) {
    super();
    this.store = options.store;
    this.audit = options.audit;
    this.logger = options.logger.child({ component: 'sites' });
  }

  async list(): Promise<Site[]> {
    const ids = await this.store.read((r) => r.zrange(this.store.keys.sites, 0, -1));
    const sites = await this.store.mgetJson(
      ids.map((id) => this.store.keys.site(id)),
      siteSchema,
    );
    return sites
      .filter((s): s is Site => s !== undefined)
      .sort((a, b) => collator.compare(a.name, b.name));
  }

  async find(id: string): Promise<Site | undefined> {
    return this.store.getJson(this.store.keys.site(id), siteSchema);
  }

  async get(id: string): Promise<Site> {
    const site = await this.find(id);
    if (!site) throw notFound({ vi: 'Không tìm thấy điểm cầu', en: `Site not found: ${id}` });
    return site;
  }

  /** Sites by id; missing ids are absent from the map. */
  async getMany(ids: readonly string[]): Promise<Map<string, Site>> {
    const unique = [...new Set(ids)];
    const sites = await this.store.mgetJson(
      unique.map((id) => this.store.keys.site(id)),
      siteSchema,
    );
    const out = new Map<string, Site>();
    for (const s of sites) if (s) out.set(s.id, s);
    return out;
  }

  async create(input: SiteInputParsed, actor: Actor): Promise<Site> {
    const { keys } = this.store;
    const id = randomUUID();
    const nameKey = keys.siteName(input.name);
    return this.store.transact([nameKey], async () => {
      await this.assertNameFree(nameKey, undefined, input.name);
      const now = new Date().toISOString();
      const site: Site = { id, version: 1, ...input, createdAt: now, updatedAt: now };
      return {
        write: (m) => {
          m.set(keys.site(id), JSON.stringify(site));
          m.set(nameKey, id);
          m.zadd(keys.sites, Date.now(), id);
          this.audit.append(m, {
            actor,
            action: 'site.create',
            target: `site:${id}`,
            changes: diffRecords(undefined, site),
          });
        },
        result: site,
      };
    });
  }

  async update(id: string, input: SiteInputParsed, expected: number, actor: Actor): Promise<Site> {
    const { keys } = this.store;
    const current = await this.get(id);
    const oldNameKey = keys.siteName(current.name);
    const newNameKey = keys.siteName(input.name);
    return this.store
      .transact([keys.site(id), oldNameKey, newNameKey], async () => {
        const before = await this.get(id);
        assertVersion(what, before.version, expected);
        // Changed between the first read and WATCH: the watched name key may be the wrong one.
        assertVersion(what, before.version, current.version);
        await this.assertNameFree(newNameKey, id, input.name);
        const after: Site = {
          id,
          version: before.version + 1,
          ...input,
          createdAt: before.createdAt,
          updatedAt: new Date().toISOString(),
        };
        return {
          write: (m) => {
            m.set(keys.site(id), JSON.stringify(after));
            if (oldNameKey !== newNameKey) m.del(oldNameKey);
            m.set(newNameKey, id);
            this.audit.append(m, {
              actor,
              action: 'site.update',
              target: `site:${id}`,
              changes: diffRecords(before, after),
            });
          },
          result: { after, before },
        };
      })
      .then(({ after, before }) => {
        this.emit('siteUpdated', after, before);
        return after;
      });
  }

  /** Refused while any meeting (other than deleted ones) still lists the site. */
  async delete(id: string, expected: number | undefined, actor: Actor): Promise<void> {
    const { keys } = this.store;
    const current = await this.get(id);
    const nameKey = keys.siteName(current.name);
    await this.store.transact([keys.site(id), keys.siteMeetings(id), nameKey], async () => {
      const before = await this.get(id);
      assertVersion(what, before.version, expected);
      assertVersion(what, before.version, current.version);
      const meetingIds = await this.store.read((r) => r.smembers(keys.siteMeetings(id)));
      if (meetingIds.length > 0) {
        const meetings = (
          await this.store.mgetJson(
            meetingIds.map((m) => keys.meeting(m)),
            meetingSchema,
          )
        ).filter((m): m is Meeting => m !== undefined);
        throw conflict(
          {
            vi: `Điểm cầu đang thuộc hội nghị "${meetings[0]?.title ?? meetingIds[0]}"; hãy bỏ điểm cầu khỏi hội nghị trước`,
            en: `The site is part of meeting "${meetings[0]?.title ?? meetingIds[0]}"; remove it from the meeting first`,
          },
          { meetings: meetings.map((m) => ({ id: m.id, title: m.title })) },
        );
      }
      return {
        write: (m) => {
          m.del(keys.site(id), keys.siteMeetings(id), nameKey);
          m.zrem(keys.sites, id);
          this.audit.append(m, {
            actor,
            action: 'site.delete',
            target: `site:${id}`,
            changes: { name: [before.name, null] },
          });
        },
        result: undefined,
      };
    });
    this.logger.info({ siteId: id }, 'site deleted');
  }

  private async assertNameFree(nameKey: string, selfId: string | undefined, name: string) {
    const owner = await this.store.read((r) => r.get(nameKey));
    if (owner !== null && owner !== selfId) {
      const other = await this.find(owner);
      if (other) {
        throw conflict(
          { vi: `Đã có điểm cầu tên "${name}"`, en: `A site named "${name}" already exists` },
          {
            siteId: owner,
          },
        );
      }
    }
  }
}

export function assertSitesExist(
  sites: Map<string, Site>,
  refs: readonly { path: string; siteId: string }[],
): void {
  const missing = refs.filter((r) => !sites.has(r.siteId));
  if (missing.length > 0) {
    throw fieldsError(
      missing.map((r) => ({
        path: `body.${r.path}`,
        message: {
          vi: `Không tìm thấy điểm cầu: ${r.siteId}`,
          en: `Site not found: ${r.siteId}`,
        },
      })),
    );
  }
}
