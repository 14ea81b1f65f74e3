import type { Config } from '../../config/index.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { WhipIngest } from './WhipIngest.js';

export interface IngestServiceOptions {
  data: DataServices;
  signaling: SignalingServer;
  config: Config['ingest'];
  logger: Logger;
}

/** Encoders publishing into meetings: WHIP sessions, RTMP and SRT streams. */
export class IngestService {
  readonly whip: WhipIngest;

  constructor(options: IngestServiceOptions) {
    this.whip = new WhipIngest({
      data: options.data,
      signaling: options.signaling,
      logger: options.logger,
      secondPublisher: options.config.secondPublisher,
    });
  }

  async close(): Promise<void> {
    this.whip.close();
  }
}
