import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerPool } from '../../media/WorkerPool.js';
import type { EndpointRole } from '../../protocol/socket.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';

/** What one open session looks like to metrics: the endpoints it has seen, by id. */
interface Tracked {
  session: MeetingSession;
  status: string;
  endpoints: Map<string, EndpointRole>;
}

/** Linux reports process times in clock ticks; 100 on every kernel config we target. */
const CLOCK_TICKS = 100;

/** CPU seconds and resident bytes of a process from /proc (no worker round trip); undefined off Linux. */
export function procUsage(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name "(...)": state is 3rd; utime 14th, stime 15th, rss 24th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: rssPages * 4096 };
  } catch {
    return undefined;
  }
}

/**
 * Live figures for /metrics, read at scrape time from what the sessions and the worker pool
 * already hold in memory: the session events tell which meetings and endpoints exist; the
 * participants' quality (sampled by the session) gives bitrates and loss; /proc gives each
 * worker's CPU and memory. A scrape costs no mediasoup round trip, however many sites there are.
 */
export function registerLiveMetrics(
  registry: Registry,
  signaling: SignalingServer,
  pool: WorkerPool,
): void {
  const sessions = new Map<string, Tracked>();
  const joins = new Counter({
    name: 'diemcau_endpoint_joins_total',
    help: 'Endpoint sockets that arrived in a session, by role',
    labelNames: ['role'],
    registers: [registry],
  });
  const leaves = new Counter({
    name: 'diemcau_endpoint_leaves_total',
    help: 'Endpoint sockets that left a session, by role',
    labelNames: ['role'],
    registers: [registry],
  });

  signaling.events.on('sessionOpened', (session) => {
    const tracked: Tracked = { session, status: session.state.status, endpoints: new Map() };
    sessions.set(session.meetingId, tracked);
    session.on('endpointJoined', (e) => {
      tracked.endpoints.set(e.endpointId, e.role);
      joins.inc({ role: e.role });
    });
    session.on('endpointLeft', (e) => leaves.inc({ role: e.role }));
    session.on('stateChanged', (s) => {
      tracked.status = s.status;
    });
    session.on('closed', () => {
      if (sessions.get(session.meetingId) === tracked) sessions.delete(session.meetingId);
    });
  });

  // One pass over the participants per scrape, shared by the gauges below.
  let memo: { at: number; rows: ReturnType<typeof compute> } | undefined;
  const aggregate = () => {
    const now = performance.now();
    if (!memo || now - memo.at > 100) memo = { at: now, rows: compute() };
    return memo.rows;
  };

  /** Per meeting and role: what the scrape reports, summed over that role's endpoints. */
  function compute() {
    const rows: {
      meetingId: string;
      role: EndpointRole;
      online: number;
      producers: number;
      consumers: number;
      inKbps: number;
      outKbps: number;
      lossUpMax: number;
      lossDownMax: number;
    }[] = [];
    for (const [meetingId, tracked] of sessions) {
      const byRole = new Map<EndpointRole, (typeof rows)[number]>();
      for (const [endpointId, role] of tracked.endpoints) {
        const p = tracked.session.participant(endpointId);
        if (!p) {
          tracked.endpoints.delete(endpointId);
          continue;
        }
        let row = byRole.get(role);
        if (!row) {
          row = {
            meetingId,
            role,
            online: 0,
            producers: 0,
            consumers: 0,
            inKbps: 0,
            outKbps: 0,
            lossUpMax: 0,
            lossDownMax: 0,
          };
          byRole.set(role, row);
          rows.push(row);
        }
        // An endpoint that moved to another node of a cascaded meeting is counted there.
        if (p.online && !p.remote) row.online++;
        row.producers += p.producers.length;
        row.consumers += p.media?.consumers.size ?? 0;
        const q = p.online ? p.quality : undefined;
        if (q) {
          // The endpoint's send is what the server receives; its receive is what the server sends.
          row.inKbps += q.sendKbps;
          row.outKbps += q.recvKbps;
          row.lossUpMax = Math.max(row.lossUpMax, q.lossUpPercent);
          row.lossDownMax = Math.max(row.lossDownMax, q.lossDownPercent);
        }
      }
    }
    return rows;
  }

  const perRole = (
    name: string,
    help: string,
    pick: (row: ReturnType<typeof aggregate>[number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['meeting', 'role'],
      registers: [registry],
      collect() {
        this.reset();
        for (const row of aggregate())
          this.set({ meeting: row.meetingId, role: row.role }, pick(row));
      },
    });
  perRole('diemcau_endpoints_online', 'Endpoints connected, per meeting and role', (r) => r.online);
  perRole('diemcau_producers', 'mediasoup producers of the endpoints', (r) => r.producers);
  perRole('diemcau_consumers', 'mediasoup consumers of the endpoints', (r) => r.consumers);
  perRole(
    'diemcau_bitrate_in_kbps',
    'Bitrate the server receives from these endpoints (kbit/s, last quality sample)',
    (r) => r.inKbps,
  );
  perRole(
    'diemcau_bitrate_out_kbps',
    'Bitrate these endpoints receive from the server (kbit/s, last quality sample)',
    (r) => r.outKbps,
  );
  perRole(
    'diemcau_loss_up_max_percent',
    'Worst packet loss of what the server receives from one of these endpoints (percent)',
    (r) => r.lossUpMax,
  );
  perRole(
    'diemcau_loss_down_max_percent',
    'Worst packet loss one of these endpoints reports for what it receives (percent)',
    (r) => r.lossDownMax,
  );
  new Gauge({
    name: 'diemcau_sessions',
    help: 'Open live sessions, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const status of ['waiting', 'live', 'ended']) this.set({ status }, 0);
      for (const t of sessions.values()) this.inc({ status: t.status });
    },
  });

  const perWorker = (name: string, help: string, pick: (index: number) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      collect() {
        this.reset();
        for (let index = 0; index < pool.size; index++) {
          const v = pick(index);
          if (v !== undefined) this.set({ worker: String(index) }, v);
        }
      },
    });
  const usageOf = (index: number) => {
    const pid = pool.slot(index)?.worker.pid;
    return pid === undefined ? undefined : procUsage(pid);
  };
  perWorker(
    'diemcau_worker_cpu_seconds_total',
    'CPU time (user + system) used by a mediasoup worker process since it started',
    (i) => usageOf(i)?.cpuSeconds,
  );
  perWorker(
    'diemcau_worker_resident_memory_bytes',
    'Resident memory of a mediasoup worker process',
    (i) => usageOf(i)?.rssBytes,
  );
  perWorker(
    'diemcau_worker_consumers',
    'Consumers open on a worker',
    (i) => pool.slot(i)?.consumers,
  );
  perWorker('diemcau_worker_up', 'A mediasoup worker is running in this slot', (i) =>
    pool.slot(i) ? 1 : 0,
  );
}
