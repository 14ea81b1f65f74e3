import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../protocol/errors.js';

/** Names one stored file; only the store turns it into a path. */
export interface StoredFileRef {
  readonly meetingId: string;
  /** Path below the meeting's folder. */
  readonly name: string;
}

/** An upload's bytes as the multipart parser gives them (`truncated` once over the limit). */
export type UploadStream = Readable & { truncated?: boolean };

/** Bytes received into a temporary file of their own, not yet where readers look. */
export interface StagedFile {
  readonly size: number;
  /** Moves the bytes into place (replacing what was there). Once; later calls do nothing. */
  commit(): Promise<void>;
  /** Removes the temporary file (the upload was refused after all). */
  discard(): Promise<void>;
}

/**
 * Uploaded files (a meeting's documents, the sites' report documents) under
 * `<dataDir>/uploads/<meetingId>/`. Owns the folder: routes name files with `document` or
 * `report` and never build paths. Records in Redis say which files exist; this only holds bytes.
 */
export class AttachmentStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(resolve(dataDir), 'uploads');
    mkdirSync(this.dir, { recursive: true });
  }

  /** A document attached to the meeting (protocol/meetings.ts `Attachment` of kind "file"). */
  document(meetingId: string, attachmentId: string): StoredFileRef {
    return { meetingId, name: attachmentId };
  }

  /** A site's uploaded report for one report request. */
  report(meetingId: string, requestId: string, siteId: string): StoredFileRef {
    return { meetingId, name: join('reports', `${requestId}-${siteId}`) };
  }

  /** Writes the upload and moves it into place at once (a file nobody else writes). */
  async save(ref: StoredFileRef, source: UploadStream, maxBytes: number): Promise<number> {
    const staged = await this.stage(ref, source, maxBytes);
    await staged.commit();
    return staged.size;
  }

  /**
   * Writes the upload to a temporary file of its own (`<file>.<uuid>.part`: two uploads to one
   * file never share one), so a half-written file never shows and the caller decides whether it
   * may replace the file (a report still open) before `commit` renames it. An upload cut at the
   * size limit is removed and answered 413.
   */
  async stage(ref: StoredFileRef, source: UploadStream, maxBytes: number): Promise<StagedFile> {
    const dest = this.path(ref);
    await mkdir(dirname(dest), { recursive: true });
    const partial = `${dest}.${randomUUID()}.part`;
    try {
      await pipeline(source, createWriteStream(partial));
      if (source.truncated)
        throw new AppError(
          'payload_too_large',
          {
            vi: `body.file: tệp quá lớn (tối đa ${maxBytes} byte)`,
            en: `body.file: file too large (at most ${maxBytes} bytes)`,
          },
          undefined,
          [
            {
              path: 'body.file',
              message: {
                vi: `Tệp quá lớn (tối đa ${maxBytes} byte)`,
                en: `File too large (at most ${maxBytes} bytes)`,
              },
            },
          ],
        );
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    const size = (await stat(partial)).size;
    let done = false;
    return {
      size,
      commit: async () => {
        if (done) return;
        done = true;
        await rename(partial, dest);
      },
      discard: async () => {
        if (done) return;
        done = true;
        await rm(partial, { force: true });
      },
    };
  }

  /** The file's size and a stream of it, or undefined when it is missing. */
  async open(ref: StoredFileRef): Promise<{ size: number; stream: Readable } | undefined> {
    const path = this.path(ref);
    const size = await stat(path).then(
      (s) => s.size,
      () => undefined,
    );
    return size === undefined ? undefined : { size, stream: createReadStream(path) };
  }

  async remove(ref: StoredFileRef): Promise<void> {
    await rm(this.path(ref), { force: true });
  }

  /** Everything uploaded for a meeting (when the meeting is deleted). */
  async removeMeeting(meetingId: string): Promise<void> {
    await rm(this.meetingDir(meetingId), { recursive: true, force: true });
  }

  private meetingDir(meetingId: string): string {
    // Ids come from validated params, but a folder is never built from one unchecked.
    if (!/^[A-Za-z0-9_-]+$/.test(meetingId)) throw new Error(`bad meeting id: ${meetingId}`);
    return join(this.dir, meetingId);
  }

  private path(ref: StoredFileRef): string {
    return join(this.meetingDir(ref.meetingId), ref.name);
  }
}
