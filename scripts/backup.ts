/**
 * Backs up the department's data while the service runs (same settings as the service: the
 * environment and DIEMCAU_CONFIG).
 *   npm run backup -- <file.tar.gz>                 one archive
 *   npm run backup -- <folder>/ [--keep 14]         diemcau-YYYYMMDD-HHMMSS.tar.gz in the folder,
 *                                                   keeping the newest 14 (the nightly timer)
 *   --recordings                                    include DATA_DIR/recordings (large)
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger } from '../server/logger.js';
import { backupFileName, createBackup, pruneBackups } from '../server/ops/backup.js';

const { values, positionals } = parseArgs({
  options: { recordings: { type: 'boolean' }, keep: { type: 'string' } },
  allowPositionals: true,
});
const fail = (message: string, code = 1): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
if (positionals.length !== 1)
  fail('Dùng / Usage: npm run backup -- <file.tar.gz | folder/> [--recordings] [--keep N]', 64);
const keep = values.keep === undefined ? undefined : Number(values.keep);
if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1))
  fail('--keep: expected a whole number ≥ 1', 64);
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message, 78);
  throw err;
}
const target = positionals[0]!;
const isFolder = target.endsWith('/') || (existsSync(target) && statSync(target).isDirectory());
const file = isFolder ? join(target, backupFileName()) : target;
const logger = createLogger({ logLevel: 'warn', logPretty: false });
try {
  const started = Date.now();
  const manifest = await createBackup({
    config,
    file,
    recordings: values.recordings ?? false,
    logger,
  });
  const bytes = statSync(file).size;
  process.stdout.write(
    `Đã sao lưu / Backed up: ${file} (${(bytes / 1e6).toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(1)} s)\n` +
      `  ${manifest.counts.meetings} meetings, ${manifest.counts.sites} sites, ${manifest.counts.keys} Redis keys, ` +
      `${manifest.files.length} files; diemcau ${manifest.app}, schema ${manifest.schemaVersion}\n`,
  );
  if (isFolder && keep !== undefined) {
    for (const name of await pruneBackups(target, keep))
      process.stdout.write(`  removed old ${name}\n`);
  }
} catch (err) {
  fail(`Không sao lưu được / Backup failed: ${(err as Error).message}`);
}
