import type { RedisStore } from '../store/RedisStore.js';

/**
 * Each meeting's SIP number, what a hall's room system dials (`100042@hop.sogd.example.vn`):
 * short digits a remote's keypad can type, drawn once per meeting and kept.
 */
export class SipNumbers {
  constructor(private readonly store: RedisStore) {}

  async numberOf(meetingId: string): Promise<string> {
    const { keys } = this.store;
    const existing = await this.store.read((r) => r.get(keys.meetingSipNumber(meetingId)));
    if (existing) return existing;
    return this.store.write(async (r) => {
      const n = String(100_000 + (await r.incr(keys.sipNumbers)));
      // Two nodes drawing at once: the first write wins and both answer its number.
      const set = await r.set(keys.meetingSipNumber(meetingId), n, 'NX');
      if (set !== 'OK') return (await r.get(keys.meetingSipNumber(meetingId))) ?? n;
      await r.set(keys.sipNumber(n), meetingId);
      return n;
    });
  }

  /** The meeting a dialled number stands for (the meeting id itself is accepted too). */
  async meetingOf(dialled: string): Promise<string | undefined> {
    const { keys } = this.store;
    if (/^\d{6,9}$/.test(dialled))
      return (await this.store.read((r) => r.get(keys.sipNumber(dialled)))) ?? undefined;
    return undefined;
  }
}
