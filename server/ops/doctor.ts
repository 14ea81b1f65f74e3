import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkServerIdentity, connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import type { Config } from '../../config/index.js';
import { call, trustedCas } from './doctorHttp.js';
import { checkMedia, checkTurn } from './doctorMedia.js';
import type { DoctorOptions, Finding, FindingStatus } from './finding.js';
import { checkTools, describeMissing } from './tools.js';

export type { DoctorOptions, Finding, FindingStatus } from './finding.js';

const run = promisify(execFile);

const DAY = 86_400_000;

async function checkHttp(config: Config, ca: string[], timeoutMs: number): Promise<Finding> {
  const url = `${config.http.publicUrl}/health`;
  const port = new URL(config.http.publicUrl!).port || (url.startsWith('https') ? '443' : '80');
  try {
    const res = await call(url, { ca, timeoutMs });
    if (res.status === 200) return { check: 'http', status: 'ok', detail: `${url} answers` };
    return {
      check: 'http',
      status: 'fail',
      detail: `${url} answers ${res.status}`,
      fix: 'see the service log: journalctl -u diemcau',
    };
  } catch (err) {
    const cause = (err as Error).message;
    return {
      check: 'http',
      status: 'fail',
      detail: `${url} unreachable: ${cause}`,
      fix: `start the service (systemctl start diemcau) and open TCP ${port} in the firewall (ufw allow ${port}/tcp)`,
    };
  }
}

async function checkCertificate(
  config: Config,
  ca: string[],
  timeoutMs: number,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const url = new URL(config.http.publicUrl!);
  if (config.http.tlsCert && existsSync(config.http.tlsCert)) {
    const cert = new X509Certificate(readFileSync(config.http.tlsCert));
    const days = Math.floor((new Date(cert.validTo).getTime() - Date.now()) / DAY);
    const names = cert.checkHost(url.hostname) ?? cert.checkIP(url.hostname);
    findings.push(
      days < 0
        ? {
            check: 'certificate file',
            status: 'fail',
            detail: `${config.http.tlsCert} expired ${-days} days ago`,
            fix: "renew it (npm run cert -- <host> for a local CA; certbot renew for Let's Encrypt); the service takes the new files without a restart",
          }
        : !names
          ? {
              check: 'certificate file',
              status: 'fail',
              detail: `${config.http.tlsCert} is not valid for ${url.hostname}`,
              fix: `make one for it: npm run cert -- ${url.hostname}`,
            }
          : days < 21
            ? {
                check: 'certificate file',
                status: 'warn',
                detail: `expires in ${days} days (${cert.validTo})`,
                fix: 'renew it soon',
              }
            : {
                check: 'certificate file',
                status: 'ok',
                detail: `valid for ${url.hostname} for ${days} more days`,
              },
    );
  }
  if (url.protocol !== 'https:') {
    findings.push({
      check: 'https',
      status: url.hostname === 'localhost' || url.hostname === '127.0.0.1' ? 'warn' : 'fail',
      detail: `PUBLIC_URL is ${url.protocol.replace(':', '')}, not https: browsers on other computers refuse the camera and microphone`,
      fix: 'serve https: TLS_CERT/TLS_KEY (npm run cert -- <host or IP> on a LAN) or a reverse proxy',
    });
    return findings;
  }
  const port = Number(url.port || 443);
  const finding = await new Promise<Finding>((done) => {
    const socket = connectTls({
      host: url.hostname,
      port,
      servername: url.hostname,
      ca,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      done({
        check: 'https',
        status: 'fail',
        detail: `no TLS answer from ${url.host}`,
        fix: `open TCP ${port} in the firewall`,
      });
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const peer = socket.getPeerCertificate();
      socket.end();
      const days = Math.floor((new Date(peer.valid_to).getTime() - Date.now()) / DAY);
      const identity = checkServerIdentity(url.hostname, peer);
      if (!socket.authorized)
        done({
          check: 'https',
          status: 'fail',
          detail: `certificate not trusted: ${socket.authorizationError}`,
          fix: 'serve the full chain (TLS_CERT = certificate followed by its CA) and have the sites trust the CA (README: certificates)',
        });
      else if (identity)
        done({
          check: 'https',
          status: 'fail',
          detail: identity.message,
          fix: `a certificate for ${url.hostname}: npm run cert -- ${url.hostname}`,
        });
      else if (days < 21)
        done({
          check: 'https',
          status: days < 0 ? 'fail' : 'warn',
          detail: `served certificate expires ${peer.valid_to}`,
          fix: 'renew the certificate',
        });
      else
        done({
          check: 'https',
          status: 'ok',
          detail: `trusted certificate for ${url.hostname}, ${days} days left`,
        });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      done({
        check: 'https',
        status: 'fail',
        detail: `TLS to ${url.host}: ${err.message}`,
        fix: `open TCP ${port} and check TLS_CERT/TLS_KEY`,
      });
    });
  });
  findings.push(finding);
  return findings;
}

async function checkClock(): Promise<Finding> {
  try {
    const { stdout } = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
      timeout: 5000,
    });
    if (stdout.trim() === 'yes')
      return { check: 'clock', status: 'ok', detail: 'synchronised (NTP)' };
    return {
      check: 'clock',
      status: 'fail',
      detail:
        'not synchronised: scheduled checks and reminders run at the wrong time, and links expire early or late',
      fix: 'timedatectl set-ntp true (systemd-timesyncd or chrony)',
    };
  } catch {
    try {
      const { stdout } = await run('chronyc', ['tracking'], { timeout: 5000 });
      if (/Leap status\s*:\s*Normal/.test(stdout))
        return { check: 'clock', status: 'ok', detail: 'synchronised (chrony)' };
    } catch {}
    return {
      check: 'clock',
      status: 'warn',
      detail: 'cannot tell whether the clock is synchronised (no timedatectl or chronyc answer)',
      fix: 'install and enable systemd-timesyncd or chrony',
    };
  }
}

async function checkDisk(config: Config): Promise<Finding> {
  const dir = resolve(config.dataDir);
  const s = await statfs(existsSync(dir) ? dir : '.');
  const free = s.bavail * s.bsize;
  const perHour = ((config.broadcast.videoKbps + config.broadcast.audioKbps) * 1000 * 3600) / 8;
  const hours = free / perHour;
  const gb = (free / 1e9).toFixed(1);
  const detail = `${gb} GB free in ${dir}: about ${Math.floor(hours)} hours of recording at ${config.broadcast.videoKbps + config.broadcast.audioKbps} kbps`;
  if (free < 1e9 || hours < 4)
    return {
      check: 'disk',
      status: 'fail',
      detail,
      fix: `free space in ${dir} or lower RECORDING_RETENTION_DAYS (now ${config.broadcast.retentionDays})`,
    };
  if (hours < 24)
    return {
      check: 'disk',
      status: 'warn',
      detail,
      fix: 'less than a day of recording: free space or lower RECORDING_RETENTION_DAYS',
    };
  return { check: 'disk', status: 'ok', detail };
}

/** Every check, in the order an IT person would fix them. */
export async function runDoctor(options: DoctorOptions): Promise<Finding[]> {
  const { config } = options;
  const timeoutMs = options.timeoutMs ?? 3000;
  const ca = trustedCas(config);
  const findings: Finding[] = [];
  findings.push(await checkHttp(config, ca, timeoutMs));
  findings.push(...(await checkCertificate(config, ca, timeoutMs)));
  findings.push(...(await checkMedia(options, ca, timeoutMs)));
  findings.push(...(await checkTurn(config, timeoutMs)));
  findings.push(await checkClock());
  findings.push(await checkDisk(config));
  const missing = describeMissing(await checkTools(config));
  findings.push(
    missing.length === 0
      ? { check: 'tools', status: 'ok', detail: 'Chromium, FFmpeg, GStreamer and fonts present' }
      : {
          check: 'tools',
          status: 'warn',
          detail: missing.join('; '),
          fix: 'bash scripts/setup.sh installs them',
        },
  );
  return findings;
}

/** The report people read: one line per check, the fix under each that needs one. */
export function formatFindings(findings: readonly Finding[]): string {
  const mark: Record<FindingStatus, string> = {
    ok: 'OK  ',
    warn: 'WARN',
    fail: 'FAIL',
    skip: 'SKIP',
  };
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${mark[f.status]} ${f.check}: ${f.detail}`);
    if (f.fix && f.status !== 'ok') lines.push(`     → ${f.fix}`);
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  const warned = findings.filter((f) => f.status === 'warn').length;
  lines.push(
    '',
    failed === 0 && warned === 0
      ? 'Mọi thứ ổn / All good.'
      : `${failed} to fix, ${warned} to look at.`,
  );
  return lines.join('\n');
}
