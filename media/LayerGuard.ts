import type { types } from 'mediasoup';
import type { MediaLogger } from './MediaLogger.js';

interface LayerGuardOptions {
  /** Score at or below which the receiver is losing the layer (mediasoup: 10 is perfect). */
  lowScore: number;
  /** How long the score must stay low before the cap goes down. */
  lowForMs: number;
  /** How long a layer may be sent below its full frame rate before the cap goes down. */
  thinnedForMs: number;
  /** First hold at the lowered cap; doubled after a retry that failed, up to maxHoldMs. */
  holdMs: number;
  maxHoldMs: number;
}

const layerGuardDefaults: LayerGuardOptions = {
  lowScore: 5,
  lowForMs: 1500,
  thinnedForMs: 5000,
  holdMs: 15_000,
  maxHoldMs: 120_000,
};

const guards = new WeakMap<types.Consumer, LayerGuard>();

/**
 * Caps a simulcast consumer's spatial layer while its receiver loses what it is sent.
 *
 * mediasoup picks the layer from the receive estimate, and towards a school behind a thin,
 * policed line (a 400 kbit/s tbf) that estimate sometimes climbs past the line: the school is
 * forwarded 720p, the line drops most of it and the picture freezes for seconds. The consumer's
 * score (0-10, from the receiver's own loss reports) shows it: when it stays low on a layer
 * above the lowest, the cap goes one layer down and stays there for a hold that doubles each
 * time a retry fails (a line that really is thin is not probed every few seconds), then is
 * lifted one layer to try again. The receiver's own wish (its tile's size) is kept apart, so
 * the layer asked for is always the lower of the two.
 */
export class LayerGuard {
  /** What the receiver asked for (its tile); undefined spatial means the top. */
  private wanted: types.ConsumerLayers;
  /** Highest spatial layer the line has shown it carries; undefined while nothing failed. */
  private cap: number | undefined;
  private holdMs: number;
  /** When the cap was last lifted: a drop soon after means the retry failed. */
  private liftedAt = 0;
  private lowTimer: NodeJS.Timeout | undefined;
  private lowSince: number | undefined;
  private lowDue: number | undefined;
  private liftTimer: NodeJS.Timeout | undefined;
  private readonly log: MediaLogger;

  /** The guard of a consumer, if it has one. */
  static of(consumer: types.Consumer): LayerGuard | undefined {
    return guards.get(consumer);
  }

  /**
   * Guards a simulcast consumer (others have no layers to choose); closes with it. `ceiling`:
   * the highest layer the receiver's measured line carries (ceilingLayer), kept for the longest
   * hold before a try above it.
   */
  static attach(
    consumer: types.Consumer,
    start: { wanted: types.ConsumerLayers; ceiling?: number | undefined },
    logger: MediaLogger,
    options: LayerGuardOptions = layerGuardDefaults,
  ): LayerGuard | undefined {
    if (consumer.type !== 'simulcast') return undefined;
    const guard = new LayerGuard(consumer, start.wanted, logger, options);
    guards.set(consumer, guard);
    if (start.ceiling !== undefined && start.ceiling < guard.layerCount() - 1) {
      guard.hold(start.ceiling, options.maxHoldMs);
    }
    return guard;
  }

  private constructor(
    private readonly consumer: types.Consumer,
    wanted: types.ConsumerLayers,
    logger: MediaLogger,
    private readonly options: LayerGuardOptions,
  ) {
    this.wanted = wanted;
    this.holdMs = options.holdMs;
    this.log = logger.child({ component: 'layer-guard', consumerId: consumer.id });
    consumer.on('score', () => this.assess());
    consumer.on('layerschange', () => this.assess());
    consumer.observer.once('close', () => this.stop());
  }

  /** The receiver's wish changed (its tile grew or shrank). */
  async want(layers: types.ConsumerLayers): Promise<void> {
    this.wanted = layers;
    await this.apply();
  }

  /**
   * Lost packets (a low score) lower the cap soon; a spatial layer sent only at part of its frame
   * rate (mediasoup thinning temporal layers to fit the estimate) lowers it after longer, since
   * the estimate passes through that while it climbs on a good line. A school sees the main
   * point move smoothly at 360p rather than jerk at 720p and 12 fps.
   */
  private assess(): void {
    const layers = this.consumer.currentLayers;
    const topTemporal = this.wanted.temporalLayer ?? 2;
    // Lost between the SFU and this receiver only: loss on the sender's own uplink shows in the
    // producer's score too, and a lower layer here would not help.
    const { score, producerScore } = this.consumer.score;
    const lossy = score <= this.options.lowScore && score < producerScore - 1;
    const thinned =
      layers !== undefined && layers.spatialLayer > 0 && (layers.temporalLayer ?? 0) < topTemporal;
    const waitMs = lossy ? this.options.lowForMs : thinned ? this.options.thinnedForMs : undefined;
    if (waitMs === undefined) {
      clearTimeout(this.lowTimer);
      this.lowTimer = undefined;
      this.lowSince = undefined;
      return;
    }
    // Low since the first sign; a later loss shortens the wait, never lengthens it.
    this.lowSince ??= Date.now();
    const due = this.lowSince + waitMs;
    if (this.lowTimer && this.lowDue !== undefined && this.lowDue <= due) return;
    clearTimeout(this.lowTimer);
    this.lowDue = due;
    this.lowTimer = setTimeout(
      () => {
        this.lowTimer = undefined;
        this.lowSince = undefined;
        void this.lower();
      },
      Math.max(0, due - Date.now()),
    );
    this.lowTimer.unref();
  }

  private async lower(): Promise<void> {
    if (this.consumer.closed) return;
    const current = this.consumer.currentLayers?.spatialLayer;
    if (current === undefined || current === 0) return;
    // A drop within two holds of the last lift: that layer does not fit; wait longer next time.
    if (this.liftedAt && Date.now() - this.liftedAt < 2 * this.holdMs) {
      this.holdMs = Math.min(this.holdMs * 2, this.options.maxHoldMs);
    }
    this.hold(current - 1, this.holdMs);
    this.log.info(
      {
        spatialLayer: current,
        cap: this.cap,
        score: this.consumer.score.score,
        holdMs: this.holdMs,
      },
      'receiver loses this layer: capped one layer down',
    );
    await this.apply();
  }

  /** Keeps `cap` for `ms`, then tries one layer up. */
  private hold(cap: number, ms: number): void {
    this.cap = cap;
    clearTimeout(this.liftTimer);
    this.liftTimer = setTimeout(() => void this.lift(), ms);
    this.liftTimer.unref();
  }

  private async lift(): Promise<void> {
    this.liftTimer = undefined;
    if (this.consumer.closed || this.cap === undefined) return;
    this.cap += 1;
    this.liftedAt = Date.now();
    this.log.debug({ cap: this.cap }, 'trying one layer up');
    await this.apply();
    // Above every layer there is: no cap left.
    if (this.cap >= this.layerCount() - 1) this.cap = undefined;
  }

  layerCount(): number {
    // A simulcast consumer's one encoding names the producer's layers, e.g. "L3T3".
    const mode = this.consumer.rtpParameters.encodings?.[0]?.scalabilityMode ?? '';
    return Number(/^[LS](\d+)/.exec(mode)?.[1] ?? 3);
  }

  private async apply(): Promise<void> {
    if (this.consumer.closed) return;
    const top = this.layerCount() - 1;
    const wanted = this.wanted.spatialLayer ?? top;
    const spatialLayer = Math.min(wanted, this.cap ?? top);
    try {
      await this.consumer.setPreferredLayers({
        spatialLayer,
        ...(this.wanted.temporalLayer !== undefined
          ? { temporalLayer: this.wanted.temporalLayer }
          : {}),
      });
    } catch (err) {
      // Closed between the check and the call: nothing to cap any more.
      if (!this.consumer.closed) this.log.warn({ err: (err as Error).message }, 'cap not applied');
    }
  }

  private stop(): void {
    clearTimeout(this.lowTimer);
    clearTimeout(this.liftTimer);
    guards.delete(this.consumer);
  }
}

/**
 * The highest simulcast layer whose sender's maximum bitrate fits in `ceilingBps` (the lowest
 * when none does); undefined when there is no ceiling or the layers carry no maximum.
 */
export function ceilingLayer(
  encodings: types.RtpEncodingParameters[] | undefined,
  ceilingBps: number | undefined,
): number | undefined {
  if (ceilingBps === undefined || !encodings || encodings.length < 2) return undefined;
  const rates = encodings.map((e) => e.maxBitrate);
  if (rates.some((r) => r === undefined)) return undefined;
  return Math.max(
    0,
    rates.findLastIndex((r) => r! <= ceilingBps),
  );
}
