import type { Config } from '../../config/index.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { StreamIngests } from './StreamIngests.js';
import { WhipIngest } from './WhipIngest.js';

export interface IngestServiceOptions {
  data: DataServices;
  signaling: SignalingServer;
  config: Config['ingest'];
  ffmpegBin: string;
  /** The host name encoders reach (from PUBLIC_URL). */
  publicHost: string;
  logger: Logger;
}

/** Encoders publishing into meetings: WHIP sessions, RTMP and SRT streams. */
export class IngestService {
  readonly whip: WhipIngest;
  readonly streams: StreamIngests;

  constructor(options: IngestServiceOptions) {
    const { config } = options;
    this.whip = new WhipIngest({
      data: options.data,
      signaling: options.signaling,
      logger: options.logger,
      secondPublisher: config.secondPublisher,
    });
    this.streams = new StreamIngests({
      data: options.data,
      signaling: options.signaling,
      logger: options.logger,
      secondPublisher: config.secondPublisher,
      ffmpegBin: options.ffmpegBin,
      listenHost: config.listenHost,
      publicHost: options.publicHost,
      rtmpPortBase: config.rtmpPortBase,
      srtPortBase: config.srtPortBase,
      streamsMax: config.streamsMax,
      videoKbps: config.videoKbps,
    });
  }

  async close(): Promise<void> {
    this.whip.close();
    await this.streams.closeAll();
  }
}
