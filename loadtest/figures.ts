/** Small statistics and the /metrics figures the load test prints. */

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function spread(values: readonly number[]): { min?: number; median?: number; max?: number } {
  const out: { min?: number; median?: number; max?: number } = {};
  const min = percentile(values, 0);
  const median = percentile(values, 50);
  const max = percentile(values, 100);
  if (min !== undefined) out.min = min;
  if (median !== undefined) out.median = median;
  if (max !== undefined) out.max = max;
  return out;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of the Prometheus text format (the server's own /metrics; no exemplars, no escapes in labels). */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of one metric's samples whose labels include `where`. */
export function metricSum(
  samples: readonly MetricSample[],
  name: string,
  where: Record<string, string> = {},
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export async function scrapeMetrics(url: string, token?: string): Promise<MetricSample[]> {
  const res = await fetch(new URL('/metrics', url), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}
