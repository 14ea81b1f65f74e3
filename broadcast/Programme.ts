import { EventEmitter } from 'node:events';
import type { MediaLogger } from '../media/MediaLogger.js';
import {
  ProgrammeEncoder,
  type ProgrammeEncoderEvents,
  type ProgrammeOutputs,
  type ProgrammeSettings,
} from './ProgrammeEncoder.js';
import { type FeedSource, ProgrammeFeed } from './ProgrammeFeed.js';

/** What the programme shows now: decided by the live session's owner, drawn here. */
export interface ProgrammeView {
  /** Every producer carried: the shown video (and the one it may switch to), the audio mixed. */
  sources: FeedSource[];
  /** Producer id of the video shown full frame. */
  shownId?: string;
  banner: string;
  lower: string;
}

export interface ProgrammeOptions {
  settings: ProgrammeSettings;
  outputs: ProgrammeOutputs;
  logger: MediaLogger;
  view: ProgrammeView;
  restartDelayMs?: number;
}

/**
 * One meeting's programme: the SFU feed and the supervised composer, kept in step with the
 * view. Outputs are fixed for its life; the owner starts a new programme to change them.
 */
export class Programme extends EventEmitter<ProgrammeEncoderEvents> {
  readonly encoder: ProgrammeEncoder;
  private readonly feed: ProgrammeFeed;
  private view: ProgrammeView;
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;
  private closing?: Promise<void>;

  constructor(readonly options: ProgrammeOptions) {
    super();
    this.view = options.view;
    this.encoder = new ProgrammeEncoder({
      settings: options.settings,
      outputs: options.outputs,
      logger: options.logger,
      banner: options.view.banner,
      lower: options.view.lower,
      ...(options.restartDelayMs !== undefined ? { restartDelayMs: options.restartDelayMs } : {}),
    });
    this.feed = new ProgrammeFeed(this.encoder, options.logger);
    for (const name of ['started', 'segmentOpened', 'segmentClosed', 'crashed'] as const) {
      this.encoder.on(name, (...args: unknown[]) =>
        (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args),
      );
    }
    this.update(options.view);
  }

  get outputs(): ProgrammeOutputs {
    return this.options.outputs;
  }

  /** Follows a new view: feeds new producers, drops old ones, switches, redraws the text. */
  update(view: ProgrammeView): Promise<void> {
    const textChanged = view.banner !== this.view.banner || view.lower !== this.view.lower;
    this.view = view;
    if (textChanged) this.encoder.setText({ banner: view.banner, lower: view.lower });
    // Serialized: a slow consumer creation must not race the next view.
    this.syncing = this.syncing
      .then(() => (this.closed ? undefined : this.feed.sync(this.view.sources, this.view.shownId)))
      .catch(() => {});
    return this.syncing;
  }

  get carried(): string[] {
    return this.feed.producerIds;
  }

  /** Lets the composer finish its files, then closes the feed. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.syncing;
      // The composer finishes its files while its inputs still flow, then the feed goes.
      await this.encoder.close();
      this.feed.close();
      this.removeAllListeners();
    })();
    return this.closing;
  }
}
