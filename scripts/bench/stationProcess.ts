/**
 * The emulated main point alone in its process (its VP8 encoder's CPU kept apart from the
 * sites'): joins `URL` with `TOKEN` (default "station", as bareSfu.ts expects) and publishes
 * until SIGTERM. Usage: npx tsx scripts/bench/stationProcess.ts URL [TOKEN]
 */
import { startStation } from '../../loadtest/station.js';

const [url = 'http://127.0.0.1:18090', token = 'station'] = process.argv.slice(2);
const station = await startStation(url, token);
process.stdout.write('publishing\n');
process.once('SIGTERM', () => {
  station.close();
  // process.exit, not a natural end: libwebrtc for Node crashes while tearing down at exit.
  process.exit(0);
});
