import { ConfigError, loadConfig } from '../config/index.js';
import { printDemoAccess } from './demo/printDemoAccess.js';
import { createLogger } from './logger.js';

/** Entry point: validate configuration first, then start; exit cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  process.env.TZ = 'Asia/Ho_Chi_Minh';
  // mediasoup reads the worker binary path when it is first imported.
  if (config.media.workerBin) process.env.MEDIASOUP_WORKER_BIN = config.media.workerBin;
  const logger = createLogger(config);
  const { Service } = await import('./Service.js');
  let service: Awaited<ReturnType<typeof Service.start>>;
  try {
    service = await Service.start({ config, logger });
  } catch (err) {
    // People need the reason, not a stack trace; the stack stays available at debug level.
    logger.debug({ err }, 'start-up failed');
    logger.fatal({ reason: (err as Error).message }, 'start-up failed');
    process.stderr.write(`\nKhông khởi động được / Cannot start: ${(err as Error).message}\n`);
    logger.flush();
    setTimeout(() => process.exit(1), 200);
    return;
  }
  if (config.demo) printDemoAccess(service.demo, config, service.url);
  const stop = (signal: string) => {
    const timer = setTimeout(() => {
      logger.error({ signal }, 'shutdown took too long, exiting anyway');
      logger.flush();
      process.exit(1);
    }, config.http.shutdownTimeoutSeconds * 1000);
    timer.unref();
    void service.close(signal).then(() => {
      logger.flush();
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main();
