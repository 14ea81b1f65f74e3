/** What the composer's heartbeat says of it: when it last spoke and whether its encoders move. */
export interface Stall {
  why: 'silent' | 'no frames' | 'no sound';
  ms: number;
  /** The outputs' queue levels in the last heartbeat, logged with the stall. */
  outputs?: unknown;
}

/**
 * The composer says "alive" every second while its main loop runs, with its encoders' frame
 * counts. A loop that stopped (a GStreamer deadlock) goes silent; a loop that runs while a
 * streaming thread is stuck still beats but its counts stand still. Either is a stall.
 */
export class ComposerHeartbeat {
  /** When the composer last said anything. */
  private heardAt = 0;
  /** The frame counts in the last heartbeat, and when each last moved (or the encoder was unfed). */
  private video = { count: -1, movedAt: 0 };
  private audio = { count: -1, movedAt: 0 };
  private outputs?: unknown;

  /** Any line from the composer. */
  heard(now = Date.now()): void {
    this.heardAt = now;
  }

  /** The pipeline plays (again): counts start over. */
  reset(now = Date.now()): void {
    this.video = { count: -1, movedAt: now };
    this.audio = { count: -1, movedAt: now };
  }

  /** An "alive" event: `video`, `audio` (frame counts), `fed`, `outputs` (queue levels). */
  beat(beat: Record<string, unknown>, now = Date.now()): void {
    const video = Number(beat.video);
    const audio = Number(beat.audio);
    this.outputs = beat.outputs;
    // Unfed (no output), the picture's encoder idles on purpose: nothing to judge.
    if (beat.fed !== true || video !== this.video.count)
      this.video = { count: video, movedAt: now };
    if (audio !== this.audio.count) this.audio = { count: audio, movedAt: now };
  }

  /** The stall past `limitMs`, if any: silence first, then no picture, then no sound. */
  stall(limitMs: number, now = Date.now()): Stall | undefined {
    const silent = now - this.heardAt;
    if (silent > limitMs) return { why: 'silent', ms: silent };
    const still = now - this.video.movedAt;
    if (still > limitMs) return { why: 'no frames', ms: still, outputs: this.outputs };
    // The mixed sound never stops on its own (a silent source is mixed in): no sound is a stall.
    const mute = now - this.audio.movedAt;
    if (mute > limitMs) return { why: 'no sound', ms: mute, outputs: this.outputs };
    return undefined;
  }
}
