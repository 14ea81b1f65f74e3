import { mkdirSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { SegmentInfo } from './ProgrammeEncoder.js';

export const segmentFileName = /^[A-Za-z0-9_-]+\.mp4$/;

/** What the composer reported about a finished segment, kept beside it as `<file>.json`. */
const sidecarSchema = z.object({ startedAt: z.number(), durationMs: z.number() });

export interface RecordingSegment {
  file: string;
  bytes: number;
  /** Epoch ms. */
  startedAt: number;
  /** Absent for a segment its composer never finished (a crash): at most one per crash. */
  durationMs?: number;
}

/**
 * The recordings on disk: `<root>/<meetingId>/<stem>-<start>-NNN.mp4`, each finished segment
 * with a small JSON beside it (its start and duration). The folder is the one source of truth.
 */
export class RecordingFolder {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  dirFor(meetingId: string): string {
    const dir = join(this.root, meetingId);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async segmentClosed(segment: SegmentInfo): Promise<void> {
    await writeFile(
      `${segment.path}.json`,
      JSON.stringify({ startedAt: segment.startedAt, durationMs: segment.durationMs }),
    );
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
