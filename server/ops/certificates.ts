import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalCertificates {
  dir: string;
  /** The local CA's certificate: what the sites' computers trust. */
  caCert: string;
  caKey: string;
  /** The server's certificate followed by the CA's (TLS_CERT). */
  serverCert: string;
  /** TLS_KEY. */
  serverKey: string;
  /** SHA-256 fingerprint of the CA, to compare on a site's computer. */
  caFingerprint: string;
  /** Whether the CA was made now (false: an existing one signed the new server certificate). */
  newCa: boolean;
  notAfter: Date;
}

const HOST = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/;

/** A host name or an IP address fit for a certificate, or why not. */
export function hostProblem(host: string): string | undefined {
  if (isIP(host) || HOST.test(host)) return undefined;
  return `"${host}" is neither an IP address nor a host name`;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl not found: apt-get install openssl');
    throw new Error(`openssl ${args[0]}: ${e.stderr?.trim() ?? e.message}`);
  }
}

/**
 * A local certificate authority (kept and reused: the sites trust it once) and a server
 * certificate it signs for the given names and addresses, with the openssl CLI. For a pilot on a
 * LAN without a public name; on the internet use a public CA (Let's Encrypt) instead.
 */
export async function makeLocalCertificates(options: {
  hosts: string[];
  dir: string;
  /** Server certificate lifetime; 825 days is the most Apple devices accept. */
  days?: number;
}): Promise<LocalCertificates> {
  if (options.hosts.length === 0) throw new Error('name at least one host name or IP address');
  for (const h of options.hosts) {
    const problem = hostProblem(h);
    if (problem) throw new Error(problem);
  }
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  const serverKey = join(dir, 'server.key');
  const serverCert = join(dir, 'server.crt');
  const newCa = !(existsSync(caKey) && existsSync(caCert));
  if (newCa) {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
    chmodSync(caKey, 0o600);
    await openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-sha256',
      '-days',
      '3650',
      '-out',
      caCert,
      '-subj',
      `/O=Diem cau/CN=Diem cau local CA ${new Date().toISOString().slice(0, 10)}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  const san = options.hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const work = join(dir, `.new-${process.pid}`);
  mkdirSync(work, { recursive: true, mode: 0o700 });
  const key = join(work, 'server.key');
  const csr = join(work, 'server.csr');
  const leaf = join(work, 'leaf.crt');
  const ext = join(work, 'ext.cnf');
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
      '',
    ].join('\n'),
  );
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  chmodSync(key, 0o600);
  await openssl([
    'req',
    '-new',
    '-key',
    key,
    '-out',
    csr,
    '-subj',
    `/O=Diem cau/CN=${options.hosts[0]}`,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-sha256',
    '-days',
    String(options.days ?? 825),
    '-extfile',
    ext,
    '-out',
    leaf,
  ]);
  // Certificate then key, each replaced whole: a running server polls them and reloads.
  writeFileSync(`${serverCert}.tmp`, readFileSync(leaf, 'utf8') + readFileSync(caCert, 'utf8'));
  renameSync(`${serverCert}.tmp`, serverCert);
  renameSync(key, serverKey);
  rmSync(work, { recursive: true, force: true });
  const ca = new X509Certificate(readFileSync(caCert));
  const server = new X509Certificate(readFileSync(serverCert));
  return {
    dir,
    caCert,
    caKey,
    serverCert,
    serverKey,
    caFingerprint: ca.fingerprint256,
    newCa,
    notAfter: new Date(server.validTo),
  };
}

/** What to tell the person who runs `npm run cert`: the settings, and how sites trust the CA. */
export function trustInstructions(certs: LocalCertificates, hosts: string[], port: number): string {
  const url = `https://${hosts[0]}${port === 443 ? '' : `:${port}`}`;
  return [
    `Chứng chỉ máy chủ / Server certificate: ${certs.serverCert} (valid until ${certs.notAfter.toISOString().slice(0, 10)})`,
    `CA cục bộ / Local CA: ${certs.caCert}${certs.newCa ? ' (new)' : ' (existing, reused)'}`,
    `  SHA-256: ${certs.caFingerprint}`,
    '',
    'Đặt cho dịch vụ / Set for the service (e.g. in /etc/diemcau/diemcau.env):',
    `  TLS_CERT=${certs.serverCert}`,
    `  TLS_KEY=${certs.serverKey}`,
    `  PUBLIC_URL=${url}`,
    '',
    `Trên máy tính mỗi điểm cầu, tin cậy CA một lần (chép ${certs.caCert}, so SHA-256 ở trên) /`,
    "On each site's computer, trust the CA once (copy ca.crt over, compare the SHA-256 above):",
    '  Windows (Chrome, Edge, Cốc Cốc):  certutil -addstore -f Root ca.crt   (as Administrator), or',
    '      double-click ca.crt → Install Certificate → Local Machine → "Trusted Root Certification Authorities"',
    '  macOS:  sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ca.crt',
    '  Linux (Chrome/Chromium):  certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "Diem cau CA" -i ca.crt',
    '      (libnss3-tools); system-wide: cp ca.crt /usr/local/share/ca-certificates/diemcau.crt && update-ca-certificates',
    '  Firefox: Settings → Privacy & Security → Certificates → View Certificates → Authorities → Import',
    '  Android: Settings → Security → Encryption & credentials → Install a certificate → CA certificate',
    `Then open ${url}: no warning, and the camera works (browsers allow it only over https).`,
    `Keep ${certs.caKey} secret: whoever holds it can impersonate any site.`,
  ].join('\n');
}
