import type { Actor, IssuedLink } from '../../protocol/auth.js';
import { roleLabels } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { vietnamDate, vietnamParts } from '../../protocol/time.js';
import { randomPassword } from '../auth/passwords.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { hoaBinhBriefing, hoaBinhDistrictSites, hoaBinhMainSite } from './hoaBinh.js';

export interface DemoLink {
  role: IssuedLink['link']['role'];
  /** For technician links. */
  siteName?: string;
  url: string;
}

export interface DemoSeedResult {
  /** False when the store already held sites or meetings (nothing was changed). */
  seeded: boolean;
  meetingId?: string;
  adminUsername?: string;
  /** Shown once; only set when the admin account was created by this seed. */
  adminPassword?: string;
  links: DemoLink[];
}

export interface SeedDemoOptions {
  logger: Logger;
  /** Clock, for tests. */
  now?: number;
  /** Days from today to the meeting. Default 3, so the default check (the day before) is ahead too. */
  daysAhead?: number;
}

const system: Actor = { kind: 'system', name: 'demo-seed' };

/**
 * When the store is empty: the Hòa Bình department of seed 002, its monthly briefing a few days
 * from now (scheduled), an `admin` account with a random password, and every join link.
 * Returns the links so the start script can print them.
 */
export async function seedDemo(
  data: DataServices,
  options: SeedDemoOptions,
): Promise<DemoSeedResult> {
  const logger = options.logger.child({ component: 'demo' });
  const [sites, meetings] = await Promise.all([data.sites.list(), data.meetings.list()]);
  if (sites.length > 0 || meetings.length > 0) {
    logger.info('store is not empty; demo data not created');
    return { seeded: false, links: [] };
  }
  const now = options.now ?? Date.now();
  const main = await data.sites.create(siteInputSchema.parse(hoaBinhMainSite), system);
  const districts = [];
  for (const input of hoaBinhDistrictSites) {
    districts.push(await data.sites.create(siteInputSchema.parse(input), system));
  }
  const day = vietnamParts(now + (options.daysAhead ?? 3) * 86_400_000);
  const input = meetingInputSchema.parse(
    hoaBinhBriefing({
      year: day.year,
      month: day.month,
      day: day.day,
      letterDate: vietnamDate(now),
      mainSiteId: main.id,
      districtSiteIds: districts.map((d) => d.id),
    }),
  );
  const created = await data.meetings.create(input, system);
  const meeting = await data.meetings.transition(created.id, 'schedule', system);

  let adminPassword: string | undefined;
  if (!(await data.access.accounts.findUser('admin'))) {
    adminPassword = randomPassword();
    await data.access.accounts.createUser('admin', adminPassword, system);
  }
  const issued = await data.access.issueMissingLinks(meeting.id, system);
  const names = new Map(districts.map((d) => [d.id, d.name]));
  const links: DemoLink[] = issued.map((i) => ({
    role: i.link.role,
    ...(i.link.siteId ? { siteName: names.get(i.link.siteId) ?? i.link.siteId } : {}),
    url: i.url,
  }));
  logger.info(
    {
      meetingId: meeting.id,
      opensAt: meeting.opensAt,
      checkAt: meeting.checkAt,
      sites: 1 + districts.length,
    },
    'demo department created / đã tạo dữ liệu mẫu',
  );
  for (const link of links) {
    logger.info(
      { role: link.role, site: link.siteName, joinUrl: link.url },
      `join link: ${roleLabels[link.role].vi}${link.siteName ? ` – ${link.siteName}` : ''}`,
    );
  }
  if (adminPassword) {
    // The operator reads it on the console banner (printDemoAccess); the JSON log redacts it.
    logger.info(
      { username: 'admin', initialPassword: adminPassword },
      'demo admin account created / tài khoản quản trị mẫu',
    );
  }
  return {
    seeded: true,
    meetingId: meeting.id,
    adminUsername: 'admin',
    ...(adminPassword ? { adminPassword } : {}),
    links,
  };
}
