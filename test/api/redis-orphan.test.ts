import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir, waitFor } from '../helpers/browser.js';

// A killed app (kill -9, OOM) must not leave its private redis-server running.
t.test('the private redis-server stops when its parent process is killed', async (t) => {
  const dir = tempDir(t, 'diemcau-orphan-');
  const script = `
    import { pino } from 'pino';
    import { RedisServerProcess } from '${join(process.cwd(), 'server/redis/RedisServerProcess.ts')}';
    await RedisServerProcess.start({ bin: 'redis-server', dir: ${JSON.stringify(dir)}, logger: pino({ level: 'silent' }) });
    process.stdout.write('started\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ok) =>
    child.stdout.on('data', (d) => String(d).includes('started') && ok()),
  );
  const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));
  t.doesNotThrow(() => process.kill(pid, 0), 'redis-server is running');
  child.kill('SIGKILL');
  const gone = await waitFor(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    5000,
    'redis-server to stop',
  ).catch(() => false);
  t.ok(gone, 'redis-server stopped with its parent');
  if (!gone) process.kill(pid, 'SIGKILL');
});
