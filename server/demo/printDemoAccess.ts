import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/index.js';
import { roleLabels } from '../../protocol/auth.js';
import type { DemoSeedResult } from './seedDemo.js';

/**
 * Tells the person who ran line 1 of the README where to click. Tokens and the admin password
 * are stored only hashed, so the first run also writes them to a private file in the data
 * folder for later runs to show again.
 */
export function printDemoAccess(
  demo: DemoSeedResult | undefined,
  config: Config,
  url: string,
): void {
  const file = join(resolve(config.dataDir), 'demo-access.txt');
  if (demo?.seeded) {
    const lines = [
      'Điểm cầu — dữ liệu mẫu / demo data',
      `Trang tổ CNTT / IT board: ${config.http.publicUrl}/admin`,
      `  đăng nhập / login: ${demo.adminUsername} / ${demo.adminPassword ?? '(đã có / existing)'}`,
      'Liên kết tham gia / join links:',
      ...demo.links.map(
        (l) => `  ${roleLabels[l.role].vi}${l.siteName ? ` – ${l.siteName}` : ''}: ${l.url}`,
      ),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const bar = '─'.repeat(72);
  process.stdout.write(`\n${bar}\n${text || `Điểm cầu đang chạy / running at ${url}\n`}${bar}\n\n`);
}
