import type { Test } from 'tap';
import { loadConfig } from '../../config/index.js';
import type { Logger } from '../../server/logger.js';
import { Service } from '../../server/Service.js';
import { tempDir } from './browser.js';
import { testLogger } from './logger.js';
import { startTestRedis } from './redis.js';

let portBase = 46000 + (process.pid % 150) * 20;

/**
 * The whole service (its own Redis, one media worker, HTTP on a free port) for a test, closed
 * with it. Media ports are tried in steps, since other test files may hold some.
 */
export async function startTestService(
  t: Test,
  options: { name: string; env?: Record<string, string>; logger?: Logger },
): Promise<Service> {
  const redis = await startTestRedis(t);
  const dataDir = tempDir(t, `diemcau-${options.name}-`);
  for (let attempt = 0; ; attempt++) {
    const config = loadConfig({
      env: {
        REDIS_URL: redis.url,
        PORT: '0',
        HOST: '127.0.0.1',
        RTC_PORT_BASE: String(portBase),
        RTC_LISTEN_IP: '127.0.0.1',
        ANNOUNCED_ADDRESS: '127.0.0.1',
        MEDIASOUP_WORKERS: '1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...options.env,
      },
    });
    portBase += 10;
    try {
      const svc = await Service.start({ config, logger: options.logger ?? testLogger });
      t.teardown(() => svc.close('test done'));
      return svc;
    } catch (err) {
      if (attempt > 4) throw err;
    }
  }
}
