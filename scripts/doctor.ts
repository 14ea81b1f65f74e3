/**
 * Checks a deployment from where it runs (the server, or a site's computer with the same
 * settings) and prints what to fix. Exit code 1 when something must be fixed.
 *   npm run doctor
 *   DIEMCAU_ADMIN_USER=it.hoa DIEMCAU_ADMIN_PASSWORD=… npm run doctor    (also the media ports)
 */
import { ConfigError, loadConfig } from '../config/index.js';
import { formatFindings, runDoctor } from '../server/ops/doctor.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
const password = process.env.DIEMCAU_ADMIN_PASSWORD;
const findings = await runDoctor({
  config,
  ...(password ? { admin: { username: process.env.DIEMCAU_ADMIN_USER ?? 'admin', password } } : {}),
});
process.stdout.write(`${formatFindings(findings)}\n`);
process.exit(findings.some((f) => f.status === 'fail') ? 1 : 0);
