import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from '../config/index.js';

export type { Logger };

/** The one root logger; everything else takes children carrying component / meetingId / endpointId. */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'logPretty'>,
  /** Where JSON lines go (tests); default stdout. */
  destination?: DestinationStream,
): Logger {
  const pretty = !destination && (config.logPretty ?? process.stdout.isTTY === true);
  const options = {
    level: config.logLevel,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      // Credentials by field name, top level and one down: a log is read by more people than
      // the links are sent to (the demo's join URLs carry tokens).
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'token',
        'password',
        'initialPassword',
        'joinUrl',
        '*.token',
        '*.password',
        '*.initialPassword',
        '*.joinUrl',
      ],
      censor: '[redacted]',
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
