import { extname } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { badField, fieldsError, zodFields } from '../../protocol/errors.js';
import { isFreeText } from '../../protocol/fields.js';
import type { AttachmentStore, StagedFile, StoredFileRef } from '../store/AttachmentStore.js';

/**
 * Documents delegates print and bring (seed 003). Only office formats, PDFs, images and
 * archives; served back as downloads so an uploaded file can never run as a page of the site.
 */
export const allowedTypes: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.odt': 'application/vnd.oasis.opendocument.text',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.odp': 'application/vnd.oasis.opendocument.presentation',
  '.rtf': 'application/rtf',
  '.txt': 'text/plain; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.zip': 'application/zip',
};

/** Keeps the name people see, minus anything that could act as a path. */
export function cleanFileName(name: string): string {
  const base = name
    .normalize('NFC')
    .replace(/[\\/]/g, '_')
    .replace(/\p{Cc}/gu, '')
    .trim();
  return (base || 'tai-lieu').slice(-200);
}

export function contentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\]/g, '_');
  return `attachment; filename="${ascii || 'tai-lieu'}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export interface ReceivedFile {
  fileName: string;
  contentType: string;
  size: number;
  /** Text fields sent before the file (e.g. "title"). */
  fields: Record<string, string>;
  /** The bytes, not yet in place: the route commits them once its checks pass. */
  staged: StagedFile;
}

/**
 * Receives the one file of a multipart request into the attachment store, staged for `dest`:
 * only allowed types, at most `maxBytes` (413 beyond); the name people see is kept, cleaned.
 * Documents and site reports share it; the caller commits or discards the staged bytes.
 */
export async function receiveFile(
  request: FastifyRequest,
  store: AttachmentStore,
  dest: StoredFileRef,
  maxBytes: number,
  /** Text fields checked before anything is written (the shared free-text rules). */
  fieldRules: Record<string, z.ZodType<string | undefined, string | undefined>> = {},
): Promise<ReceivedFile> {
  if (!request.isMultipart())
    throw badField('body', {
      vi: 'cần multipart/form-data với trường "file"',
      en: 'multipart/form-data with a "file" field is required',
    });
  const part = await request.file();
  if (!part) throw badField('body.file', { vi: 'thiếu tệp', en: 'the file is missing' });
  if (!isFreeText(part.filename)) {
    part.file.resume();
    throw badField('body.file', {
      vi: 'tên tệp chứa ký tự điều khiển hoặc ký tự đảo chiều',
      en: 'the file name contains control or bidi override characters',
    });
  }
  const fileName = cleanFileName(part.filename);
  const ext = extname(fileName).toLowerCase();
  const contentType = allowedTypes[ext];
  if (!contentType) {
    part.file.resume();
    throw badField('body.file', {
      vi: `loại tệp "${ext || '(không có đuôi)'}" không được phép; dùng ${Object.keys(allowedTypes).join(', ')}`,
      en: 'file type not allowed',
    });
  }
  const fields: Record<string, string> = {};
  for (const [name, field] of Object.entries(part.fields))
    if (field && !Array.isArray(field) && field.type === 'field')
      fields[name] = String(field.value);
  for (const [name, rule] of Object.entries(fieldRules)) {
    const parsed = rule.safeParse(fields[name] ?? '');
    if (!parsed.success) {
      part.file.resume();
      throw fieldsError(zodFields(parsed.error, `body.${name}`));
    }
    if (parsed.data !== undefined) fields[name] = parsed.data;
  }
  const staged = await store.stage(dest, part.file, maxBytes);
  return { fileName, contentType, size: staged.size, fields, staged };
}
