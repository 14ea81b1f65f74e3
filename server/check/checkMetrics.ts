import { Counter, Gauge, type Registry } from 'prom-client';
import type { CheckServices } from './CheckServices.js';

/**
 * Connection checks for /metrics: each stored result counted once by kind and verdict (from
 * the readiness service's change events), and the BullMQ queue's job counts (one Redis
 * round trip per scrape).
 */
export function registerCheckMetrics(registry: Registry, checks: CheckServices): void {
  const results = new Counter({
    name: 'diemcau_checks_total',
    help: 'Connection checks completed, by kind and verdict',
    labelNames: ['kind', 'verdict'],
    registers: [registry],
  });
  for (const kind of ['window', 'recheck', 'on-demand'])
    for (const verdict of ['pass', 'degraded', 'fail']) results.inc({ kind, verdict }, 0);
  // The readiness record changes for many reasons; a new checkId is a new result.
  const seen = new Map<string, string>();
  checks.readiness.on('changed', (r) => {
    const check = r.lastCheck;
    if (!check) return;
    const key = `${r.meetingId}/${r.siteId}`;
    if (seen.get(key) === check.checkId) return;
    seen.set(key, check.checkId);
    results.inc({ kind: check.kind, verdict: check.verdict });
  });

  new Gauge({
    name: 'diemcau_check_jobs',
    help: 'Scheduled-check jobs in the BullMQ queue, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await checks.scheduler.counts().catch(() => undefined);
      this.reset();
      if (!counts) return;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
}
