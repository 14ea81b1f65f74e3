/**
 * Makes a local CA and a server certificate for a LAN pilot, and says how to trust the CA.
 *   npm run cert -- 192.168.1.10 [hop.sogd.lan …] [--out <dir>]   (default dir: DATA_DIR/tls)
 * Run again with another address to re-issue the server certificate: the CA is kept.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ConfigError, loadConfig } from '../config/index.js';
import { makeLocalCertificates, trustInstructions } from '../server/ops/certificates.js';

const { values, positionals } = parseArgs({
  options: { out: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length === 0) {
  process.stderr.write('Dùng / Usage: npm run cert -- <host or IP> [more names…] [--out <dir>]\n');
  process.exit(64);
}
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`${(err as ConfigError).message}\n`);
  process.exit(78);
}
try {
  const dir = values.out ?? join(resolve(config.dataDir), 'tls');
  const certs = await makeLocalCertificates({ hosts: positionals, dir });
  process.stdout.write(`${trustInstructions(certs, positionals, config.http.port)}\n`);
} catch (err) {
  process.stderr.write(
    `Không tạo được chứng chỉ / Cannot make the certificate: ${(err as Error).message}\n`,
  );
  process.exit(1);
}
