/**
 * Restores a backup into an empty DATA_DIR (stop the service first; start it afterwards).
 *   npm run restore -- <file.tar.gz>
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger } from '../server/logger.js';
import { restoreBackup } from '../server/ops/restore.js';

const { positionals } = parseArgs({ allowPositionals: true });
const fail = (message: string, code = 1): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
if (positionals.length !== 1) fail('Dùng / Usage: npm run restore -- <file.tar.gz>', 64);
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message, 78);
  throw err;
}
const logger = createLogger({ logLevel: 'warn', logPretty: false });
try {
  const m = await restoreBackup({ config, file: positionals[0]!, logger });
  process.stdout.write(
    `Đã khôi phục / Restored ${positionals[0]} (made ${m.createdAt} by diemcau ${m.app}, schema ${m.schemaVersion})\n` +
      `  ${m.counts.meetings} meetings, ${m.counts.sites} sites, ${m.restoredKeys} Redis keys, ` +
      `${m.files.filter((f) => !f.path.startsWith('redis/') && f.path !== 'config.json').length} files into ${config.dataDir}\n` +
      "  Start the service now; it brings data of an older release to this one's schema.\n",
  );
} catch (err) {
  fail(`Không khôi phục được / Restore failed: ${(err as Error).message}`);
}
