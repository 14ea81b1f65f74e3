import * as mediasoup from 'mediasoup';
import type { MediaLogger } from './MediaLogger.js';

/** Counts of mediasoup's warnings and errors; SRTP failures are counted apart (tests hold them at zero). */
export interface MediasoupLogCounters {
  warnings: number;
  errors: number;
  srtpErrors: number;
}

const srtpLine = /srtp|replay check/i;

/**
 * Lines the worker logs as errors that are not: libwebrtc's congestion controller finds its
 * floor above its ceiling (or its start) and raises that to the floor, which is what the
 * connection check's downlink floor (ConnectionCheck.floorDownlink) asks for. Logged at info and
 * not counted.
 */
const expectedErrorLine = /ClampConstraints\(\) \| (max|start) bitrate smaller than min bitrate/;

/**
 * Sends mediasoup's own log lines (node side and worker side) to a child logger and counts them.
 * mediasoup's listeners are process-wide, so the last call wins.
 */
export function routeMediasoupLogs(logger: MediaLogger): MediasoupLogCounters {
  const log = logger.child({ component: 'mediasoup' });
  const counters: MediasoupLogCounters = { warnings: 0, errors: 0, srtpErrors: 0 };
  mediasoup.setLogEventListeners({
    ondebug: undefined,
    onwarn: (namespace, line) => {
      counters.warnings++;
      if (srtpLine.test(line)) counters.srtpErrors++;
      log.warn({ namespace }, line);
    },
    onerror: (namespace, line, error) => {
      if (expectedErrorLine.test(line)) {
        log.info({ namespace }, line);
        return;
      }
      counters.errors++;
      if (srtpLine.test(line)) counters.srtpErrors++;
      log.error({ namespace, err: error }, line);
    },
  });
  return counters;
}
