import { badField, badRequest, conflict } from '../../protocol/errors.js';

/**
 * The version a write was based on: If-Match header ("3", W/"3" or 3) or the body's version.
 * Both present and different is a client bug worth a 400.
 */
export function expectedVersion(
  ifMatch: string | undefined,
  bodyVersion: number | undefined,
): number | undefined {
  let header: number | undefined;
  if (ifMatch !== undefined && ifMatch.trim() !== '*') {
    const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(ifMatch);
    if (!m)
      throw badRequest({
        vi: 'headers.if-match: phải là số phiên bản, ví dụ "3"',
        en: 'must be a version number, e.g. "3"',
      });
    header = Number(m[1]);
  }
  if (header !== undefined && bodyVersion !== undefined && header !== bodyVersion)
    throw badField('version', {
      vi: 'If-Match và body.version khác nhau',
      en: 'If-Match and body.version disagree',
    });
  return header ?? bodyVersion;
}

/** A write based on an old version answers 409 with the current one, so the client can reload. */
export function assertVersion(
  what: { vi: string; en: string },
  current: number,
  expected: number | undefined,
): void {
  if (expected !== undefined && expected !== current) {
    throw conflict(
      {
        vi: `${what.vi} đã được người khác sửa (phiên bản ${current}), hãy tải lại`,
        en: `${what.en} was changed by someone else (version ${current}); reload and retry`,
      },
      { currentVersion: current },
    );
  }
}

export function requireVersion(expected: number | undefined): number {
  if (expected === undefined)
    throw badField('version', {
      vi: 'cần phiên bản đã đọc (If-Match hoặc body.version)',
      en: 'the version you read is required (If-Match header or body.version)',
    });
  return expected;
}
