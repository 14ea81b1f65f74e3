import { EventEmitter } from 'node:events';
import type { MediaLogger } from '../media/MediaLogger.js';
import type {
  ProgrammeEncoderEvents,
  ProgrammeOutput,
  ProgrammeSettings,
} from './composerContract.js';
import { ProgrammeEncoder } from './ProgrammeEncoder.js';
import { type FeedSource, ProgrammeFeed } from './ProgrammeFeed.js';

/** What the programme shows now: decided by the live session's owner, drawn here. */
export interface ProgrammeView {
  /** Every producer carried: the shown video (and the one it may switch to), the audio mixed. */
  sources: FeedSource[];
  /** Producer id of the video shown full frame. */
  shownId?: string;
  /** Shown while `shownId` has no picture (the main point's camera); then the still card. */
  fallbackId?: string;
  /** The compact strip at the top: the meeting's name. */
  strip: string;
  /** The lower third: agenda item and speaker, one line each. */
  lower: string;
}

export interface ProgrammeOptions {
  settings: ProgrammeSettings;
  logger: MediaLogger;
  view: ProgrammeView;
  restartDelayMs?: number;
}

const forwarded = [
  'started',
  'segmentOpened',
  'segmentClosed',
  'segmentCut',
  'crashed',
  'displayed',
  'outputRemoved',
] as const;

/**
 * One meeting's programme for the whole live session: the SFU feed and the supervised composer,
 * kept in step with the view. Outputs (recording, live out) come and go while it runs.
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
      logger: options.logger,
      strip: options.view.strip,
      lower: options.view.lower,
      ...(options.restartDelayMs !== undefined ? { restartDelayMs: options.restartDelayMs } : {}),
    });
    this.feed = new ProgrammeFeed(this.encoder, options.logger);
    for (const name of forwarded) {
      this.encoder.on(name, (...args: unknown[]) =>
        (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args),
      );
    }
    this.update(options.view);
  }

  get outputIds(): string[] {
    return this.encoder.outputIds;
  }

  addOutput(output: ProgrammeOutput): void {
    this.encoder.addOutput(output);
  }

  /** Resolves once the output's files are closed. */
  removeOutput(id: string): Promise<void> {
    return this.encoder.removeOutput(id);
  }

  /** Follows a new view: feeds new producers, drops old ones, switches, redraws the text. */
  update(view: ProgrammeView): Promise<void> {
    const textChanged = view.strip !== this.view.strip || view.lower !== this.view.lower;
    this.view = view;
    if (textChanged) this.encoder.setText({ strip: view.strip, lower: view.lower });
    // Serialized: a slow consumer creation must not race the next view.
    this.syncing = this.syncing
      .then(() =>
        this.closed
          ? undefined
          : this.feed.sync(this.view.sources, this.view.shownId, this.view.fallbackId),
      )
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
