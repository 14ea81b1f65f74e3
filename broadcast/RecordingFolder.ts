import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { type SegmentInfo, segmentNumbers } from './composerContract.js';

export const segmentFileName = /^[A-Za-z0-9_-]+\.mp4$/;

/** What the composer reported about a finished segment, kept beside it as `<file>.json`. */
const sidecarSchema = z.object({
  startedAt: z.number(),
  durationMs: z.number(),
  cut: z.boolean().optional(),
});

export interface RecordingSegment {
  file: string;
  bytes: number;
  /** Epoch ms. */
  startedAt: number;
  /** Absent only while the segment is being written. */
  durationMs?: number;
  /** Its composer never closed it (a crash, a stuck muxer): it plays to its last fragment. */
  cut?: boolean;
}

/**
 * The recordings on disk: `<root>/<meetingId>/<stem>-<run>-<segment>.mp4`, each finished segment
 * with a small JSON beside it (its start and duration). The folder is the one source of truth.
 */
export class RecordingFolder {
  /** Runs given out but maybe not on disk yet (a run's first file opens at its first keyframe). */
  private readonly handedOut = new Map<string, number>();

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  dirFor(meetingId: string): string {
    const dir = join(this.root, meetingId);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The next recording run's number: above every run on disk and every one handed out. */
  async nextRun(meetingId: string): Promise<number> {
    const names = await readdir(join(this.root, meetingId)).catch(() => [] as string[]);
    const onDisk = Math.max(0, ...names.map((n) => segmentNumbers(n)?.run ?? 0));
    const run = Math.max(onDisk, this.handedOut.get(meetingId) ?? 0) + 1;
    this.handedOut.set(meetingId, run);
    return run;
  }

  async segmentClosed(segment: SegmentInfo): Promise<void> {
    await writeFile(
      `${segment.path}.json`,
      JSON.stringify({ startedAt: segment.startedAt, durationMs: segment.durationMs }),
    );
  }

  /**
   * A segment its composer could not finish (a crash, a stuck muxer). Its fragments play up to
   * the last whole one: kept, with its length to its last write (a fragment a second) noted as
   * cut. A segment cut before its first fragment (its first seconds) has no index, holds
   * nothing playable, and is removed so that no unreadable file is listed. True when kept.
   */
  async segmentCut(path: string, startedAt?: number): Promise<boolean> {
    if (await hasMovieBox(path)) {
      const written = await stat(path).catch(() => undefined);
      if (written && startedAt !== undefined)
        await writeFile(
          `${path}.json`,
          JSON.stringify({
            startedAt,
            durationMs: Math.max(0, Math.round(written.mtimeMs - startedAt)),
            cut: true,
          }),
        );
      return true;
    }
    await rm(path, { force: true });
    return false;
  }

  async list(meetingId: string): Promise<RecordingSegment[]> {
    const dir = join(this.root, meetingId);
    const names = await readdir(dir).catch(() => [] as string[]);
    const segments: RecordingSegment[] = [];
    for (const file of names.filter((n) => segmentFileName.test(n)).sort()) {
      const info = await stat(join(dir, file)).catch(() => undefined);
      if (!info) continue;
      const sidecar = await readFile(join(dir, `${file}.json`), 'utf8')
        .then((text) => sidecarSchema.parse(JSON.parse(text)))
        .catch(() => undefined);
      segments.push({
        file,
        bytes: info.size,
        startedAt: sidecar?.startedAt ?? info.birthtimeMs ?? info.mtimeMs,
        ...(sidecar ? { durationMs: sidecar.durationMs } : {}),
        ...(sidecar?.cut ? { cut: true } : {}),
      });
    }
    return segments;
  }

  /** Path of one segment of a meeting, or undefined for a name that is not one. */
  pathOf(meetingId: string, file: string): string | undefined {
    if (!segmentFileName.test(file) || basename(file) !== file) return undefined;
    // A meeting id is a folder name here: never `..` or a separator, whatever the route checked.
    if (!/^[A-Za-z0-9-]{1,64}$/.test(meetingId)) return undefined;
    return join(this.root, meetingId, file);
  }

  /** Deletes segments last written more than `days` ago; returns how many. */
  async sweep(days: number, now = Date.now()): Promise<number> {
    const cutoff = now - days * 86_400_000;
    let removed = 0;
    for (const meeting of await readdir(this.root).catch(() => [] as string[])) {
      const dir = join(this.root, meeting);
      for (const file of await readdir(dir).catch(() => [] as string[])) {
        if (!segmentFileName.test(file)) continue;
        const info = await stat(join(dir, file)).catch(() => undefined);
        if (!info || info.mtimeMs >= cutoff) continue;
        await rm(join(dir, file), { force: true });
        await rm(join(dir, `${file}.json`), { force: true });
        removed++;
      }
    }
    return removed;
  }
}

/** Whether an MP4 file has its movie box (`moov`) among its top-level boxes. */
export async function hasMovieBox(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(16);
    let at = 0;
    while (at + 8 <= size) {
      await file.read(header, 0, 16, at);
      let length = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (type === 'moov') return true;
      if (length === 1) length = Number(header.readBigUInt64BE(8));
      // Size 0: the box runs to the end of the file (an mdat still being written).
      if (length === 0) return false;
      if (length < 8) return false;
      at += length;
    }
    return false;
  } finally {
    await file.close();
  }
}
