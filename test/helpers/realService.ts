import type { Test } from 'tap';
import { loadConfig } from '../../config/index.js';
import { Service } from '../../server/Service.js';
import { tempDir } from './browser.js';
import { testLogger } from './logger.js';
import { startTestRedis } from './redis.js';

let portBase = 48000 + (process.pid % 150) * 20;

/**
 * The whole Service (private Redis, one media worker, HTTP on a free port, a temporary data
 * folder), closed on teardown. `env` adds settings; a taken RTC port is retried on the next.
 */
export async function startRealService(
  t: Test,
  env: Record<string, string> = {},
): Promise<{ service: Service; dataDir: string }> {
  const redis = await startTestRedis(t);
  const dataDir = tempDir(t, 'diemcau-service-');
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
        ...env,
      },
    });
    portBase += 10;
    try {
      const service = await Service.start({ config, logger: testLogger });
      t.teardown(() => service.close('test done'));
      return { service, dataDir };
    } catch (err) {
      if (attempt > 4) throw err;
    }
  }
}
