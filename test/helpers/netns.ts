import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tempDir } from './browser.js';

export interface SiteNamespace {
  name: string;
  hostIp: string;
  siteIp: string;
  /** Executable that runs Chromium inside the namespace (playwright's executablePath). */
  chromium: string;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const tc = (ns: string | undefined, ...args: string[]) =>
  ns
    ? execFileSync('ip', ['netns', 'exec', ns, 'tc', ...args], { stdio: 'pipe' })
    : execFileSync('tc', args, { stdio: 'pipe' });

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  try {
    ip('netns', 'list');
    return undefined;
  } catch (err) {
    return `ip netns: ${(err as Error).message}`;
  }
}

/**
 * A site behind its own link: a network namespace joined to the host by a veth pair in
 * 10.200.N.0/24, removed on teardown. Traffic goes nowhere but between the two ends.
 */
export function createSiteNamespace(
  t: Test,
  /** Names start with this (helpers sharing a machine keep apart); veth names fit 15 chars. */
  opts: { prefix?: string; subnet?: number } = {},
): SiteNamespace {
  const n = 10 + (process.pid % 200);
  const prefix = opts.prefix ?? 'dc';
  const name = `${prefix}site${process.pid}`;
  const host = `${prefix}h${process.pid % 100000}`;
  const site = `${prefix}s${process.pid % 100000}`;
  const hostIp = `10.${opts.subnet ?? 200}.${n}.1`;
  const siteIp = `10.${opts.subnet ?? 200}.${n}.2`;
  t.teardown(() => {
    try {
      ip('link', 'del', host);
    } catch {}
    try {
      ip('netns', 'del', name);
    } catch {}
  });
  ip('netns', 'add', name);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', site);
  ip('link', 'set', site, 'netns', name);
  ip('addr', 'add', `${hostIp}/24`, 'dev', host);
  ip('link', 'set', host, 'up');
  ip('netns', 'exec', name, 'ip', 'addr', 'add', `${siteIp}/24`, 'dev', site);
  ip('netns', 'exec', name, 'ip', 'link', 'set', site, 'up');
  ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  const chromium = join(tempDir(t, 'diemcau-ns-'), 'chromium-in-ns.sh');
  writeFileSync(
    chromium,
    `#!/bin/sh\nexec ip netns exec ${name} ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"\n`,
  );
  chmodSync(chromium, 0o755);
  return { name, hostIp, siteIp, chromium, ...{ hostDev: host, siteDev: site } };
}

/** Limits what the site sends (its uplink) with a token bucket on its end of the veth. */
export function limitUplink(ns: SiteNamespace, kbit: number): void {
  const dev = (ns as SiteNamespace & { siteDev: string }).siteDev;
  tc(
    ns.name,
    'qdisc',
    'add',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${kbit}kbit`,
    'burst',
    '16kbit',
    'latency',
    '300ms',
  );
}

export interface NodeNamespace {
  name: string;
  /** The root namespace's end of the link (what the node reaches Redis at). */
  hostIp: string;
  /** The node's own address, announced for media and used in its URL. */
  nodeIp: string;
}

/**
 * A cluster node's own network namespace with its own address: a veth pair whose root end is
 * enslaved to one bridge per test process, so the nodes reach each other (media pipes between
 * nodes) and the root namespace (Redis, the browsers) on one segment, 10.201.N.0/24, without
 * forwarding in the root namespace. Names start with "cluster"; removed on teardown.
 */
export function createNodeNamespace(t: Test, index: number): NodeNamespace {
  const n = (process.pid % 250) + 1;
  const tag = `${index}${process.pid % 10000}`;
  const name = `cluster${tag}`;
  const host = `cluster${tag}h`;
  const inner = `cluster${tag}n`;
  const bridge = `clbr${process.pid % 100000}`;
  const hostIp = `10.201.${n}.1`;
  const nodeIp = `10.201.${n}.${index + 2}`;
  const cleanup = () => {
    try {
      ip('link', 'del', host);
    } catch {}
    try {
      ip('netns', 'del', name);
    } catch {}
  };
  cleanup();
  t.teardown(cleanup);
  try {
    ip('link', 'show', bridge);
  } catch {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${hostIp}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    t.teardown(() => {
      try {
        ip('link', 'del', bridge);
      } catch {}
    });
  }
  ip('netns', 'add', name);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', inner);
  ip('link', 'set', inner, 'netns', name);
  ip('link', 'set', host, 'master', bridge);
  ip('link', 'set', host, 'up');
  ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nodeIp}/24`, 'dev', inner);
  ip('netns', 'exec', name, 'ip', 'link', 'set', inner, 'up');
  ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  return { name, hostIp, nodeIp };
}
