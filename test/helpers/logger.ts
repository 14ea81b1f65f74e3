import { pino } from 'pino';

/** Tests log only warnings and errors, as JSON to stderr, so a failure shows its context. */
export const testLogger = pino(
  { level: process.env.TEST_LOG_LEVEL ?? 'warn' },
  pino.destination(2),
);
