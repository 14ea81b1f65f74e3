import type { types } from 'mediasoup';
import type { WorkerPool } from '../../media/WorkerPool.js';

export interface MediaProbeTarget {
  worker: number;
  port: number;
  /** The ICE credentials a connectivity check to this port must carry. */
  usernameFragment: string;
  password: string;
}

/**
 * A throwaway WebRTC transport on every worker's WebRtcServer, so `npm run doctor` can send
 * the same ICE check a browser sends and see that the worker's UDP and TCP port answer from
 * where it runs. Closed after `ttlMs`; one probe at a time.
 */
export class MediaProbes {
  private routers: types.Router[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly pool: WorkerPool) {}

  async open(ttlMs = 30_000): Promise<MediaProbeTarget[]> {
    this.close();
    const targets: MediaProbeTarget[] = [];
    for (const slot of this.pool.workers) {
      const router = await slot.worker.createRouter({ mediaCodecs: [] });
      this.routers.push(router);
      const transport = await router.createWebRtcTransport({
        webRtcServer: slot.webRtcServer,
        enableUdp: true,
        enableTcp: true,
      });
      targets.push({
        worker: slot.index,
        port: slot.port,
        usernameFragment: transport.iceParameters.usernameFragment,
        password: transport.iceParameters.password,
      });
    }
    this.timer = setTimeout(() => this.close(), ttlMs);
    this.timer.unref();
    return targets;
  }

  close(): void {
    clearTimeout(this.timer);
    for (const r of this.routers) if (!r.closed) r.close();
    this.routers = [];
  }
}
