/**
 * The soak's meeting population: the main point, the chair and N sites (light ones, and a few
 * decoding "speakers" that send a camera when given the floor), each replaced by a fresh join
 * when the server says its media was lost (a worker died: the page rebuilds its media, the
 * emulator joins again) or when the soak makes it leave and come back.
 */

import { EmulatedEndpoint } from '../../loadtest/EmulatedEndpoint.js';
import { LightSite } from '../../loadtest/LightSite.js';
import type { MeetingLinks } from '../../loadtest/meetingLinks.js';
import { siteAddress } from '../../loadtest/meetingLinks.js';
import { type EmulatedStation, startStation } from '../../loadtest/station.js';
import { endpointRoleSchema } from '../../protocol/endpoints.js';

type Endpoint = LightSite | EmulatedEndpoint;

export interface Member {
  index: number;
  speaker: boolean;
  /** Undefined while away (left, or joining again). */
  site?: Endpoint;
  /** performance.now() of the media loss being recovered from, if any. */
  lostAt?: number;
}

export class Population {
  readonly members: Member[];
  station?: EmulatedStation;
  chair?: EmulatedEndpoint;
  /** Joins that failed (each is retried), and recoveries after a lost worker (ms each). */
  failedJoins = 0;
  readonly recoveryMs: number[] = [];
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly links: MeetingLinks,
    speakers: number,
  ) {
    // Speakers spread through the list.
    const every = Math.max(1, Math.floor(links.siteTokens.length / Math.max(1, speakers)));
    this.members = links.siteTokens.map((_t, index) => ({
      index,
      speaker: speakers > 0 && index % every === 0 && index / every < speakers,
    }));
  }

  async startStationAndChair(): Promise<void> {
    this.station = await startStation(this.url, this.links.stationToken);
    this.station.endpoint.socket.once('mediaRestarted', () => void this.restartStation());
    await this.joinChair();
    if (this.chair?.session?.status === 'waiting') await this.chair.request('startSession', {});
  }

  private async restartStation(): Promise<void> {
    this.station?.close();
    if (this.closed) return;
    this.station = await startStation(this.url, this.links.stationToken);
    this.station.endpoint.socket.once('mediaRestarted', () => void this.restartStation());
  }

  private async joinChair(): Promise<void> {
    this.chair?.close();
    if (this.closed) return;
    this.chair = await EmulatedEndpoint.join({ url: this.url, token: this.links.chairToken });
    this.chair.socket.once('mediaRestarted', () => void this.joinChair());
  }

  /** Joins member i (again); retried until it succeeds or the population closes. */
  async join(m: Member): Promise<void> {
    const options = {
      url: this.url,
      token: this.links.siteTokens[m.index]!,
      layer: 2 as const,
      forwardedFor: siteAddress(m.index),
    };
    while (!this.closed) {
      try {
        const site = m.speaker
          ? await EmulatedEndpoint.join(options)
          : await LightSite.join(options);
        if (this.closed) {
          site.close();
          return;
        }
        m.site = site;
        site.socket.once('mediaRestarted', () => {
          m.lostAt = performance.now();
          this.leave(m);
          void this.join(m);
        });
        if (m.lostAt !== undefined) void this.watchRecovery(m, site);
        return;
      } catch {
        this.failedJoins++;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  /** Time from the lost media to the first whole frame on the new join. */
  private async watchRecovery(m: Member, site: Endpoint): Promise<void> {
    const lostAt = m.lostAt!;
    while (!this.closed && m.site === site) {
      if (site.timings.firstFrameMs !== undefined) {
        this.recoveryMs.push(site.startedAt + site.timings.firstFrameMs - lostAt);
        m.lostAt = undefined;
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  leave(m: Member): void {
    m.site?.close();
    m.site = undefined;
  }

  /** Sites present now (joined, not away). */
  present(): Member[] {
    return this.members.filter((m) => m.site !== undefined);
  }

  /** Consumers the emulated endpoints hold now, by their own account. */
  consumersHeld(): number {
    const all: Endpoint[] = [
      ...this.present().map((m) => m.site!),
      ...(this.chair ? [this.chair] : []),
      ...(this.station ? [this.station.endpoint] : []),
    ];
    let n = 0;
    for (const e of all)
      for (const role of endpointRoleSchema.options) n += e.receivedSources(role).length;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const m of this.members) this.leave(m);
    this.chair?.close();
    this.station?.close();
  }
}
