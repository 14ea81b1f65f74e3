import type { ChainableCommander } from 'ioredis';
import { type Actor, type AuditEntry, actorSchema } from '../../protocol/auth.js';
import type { RedisStore } from './RedisStore.js';

export interface AuditRecord {
  actor: Actor;
  /** Verb, e.g. "meeting.update", "meeting.schedule", "link.revoke". */
  action: string;
  /** What was acted on, e.g. "meeting:<id>". */
  target: string;
  meetingId?: string;
  changes?: Record<string, unknown>;
}

const GLOBAL_MAX = 100_000;
const PER_MEETING_MAX = 5_000;
const SHOWN_VALUE_MAX = 300;

/** Top-level fields that differ; long values are summarized so the trail stays small. */
export function diffRecords(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  ignore: readonly string[] = ['version', 'updatedAt', 'createdAt'],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    if (ignore.includes(key)) continue;
    const a = JSON.stringify(before?.[key]);
    const b = JSON.stringify(after?.[key]);
    if (a === b) continue;
    const shorten = (s: string | undefined) =>
      s === undefined ? null : s.length > SHOWN_VALUE_MAX ? '(…)' : JSON.parse(s);
    out[key] = [shorten(a), shorten(b)];
  }
  return out;
}

/**
 * Who changed what: a Redis stream per meeting plus a global one. Entries are queued inside
 * the same MULTI as the change, so the trail can never disagree with the data.
 */
export class AuditLog {
  constructor(private readonly store: RedisStore) {}

  append(multi: ChainableCommander, record: AuditRecord): void {
    const fields = [
      'at',
      new Date().toISOString(),
      'actor',
      JSON.stringify(record.actor),
      'action',
      record.action,
      'target',
      record.target,
    ];
    if (record.meetingId) fields.push('meetingId', record.meetingId);
    if (record.changes && Object.keys(record.changes).length > 0)
      fields.push('changes', JSON.stringify(record.changes));
    const { keys } = this.store;
    multi.xadd(keys.audit, 'MAXLEN', '~', GLOBAL_MAX, '*', ...fields);
    if (record.meetingId) {
      multi.xadd(
        keys.meetingAudit(record.meetingId),
        'MAXLEN',
        '~',
        PER_MEETING_MAX,
        '*',
        ...fields,
      );
    }
  }

  /** Newest first. */
  async list(meetingId: string | undefined, limit: number): Promise<AuditEntry[]> {
    const key = meetingId ? this.store.keys.meetingAudit(meetingId) : this.store.keys.audit;
    const rows = await this.store.read((r) => r.xrevrange(key, '+', '-', 'COUNT', limit));
    return rows.map(([id, flat]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
      const actor = actorSchema.safeParse(safeJson(f.actor));
      const changes = safeJson(f.changes);
      return {
        id,
        at: f.at ?? new Date(Number(id.split('-')[0])).toISOString(),
        actor: actor.success ? actor.data : { kind: 'system' as const, name: 'unknown' },
        action: f.action ?? '',
        target: f.target ?? '',
        ...(f.meetingId ? { meetingId: f.meetingId } : {}),
        ...(changes && typeof changes === 'object'
          ? { changes: changes as Record<string, unknown> }
          : {}),
      };
    });
  }
}

function safeJson(s: string | undefined): unknown {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
