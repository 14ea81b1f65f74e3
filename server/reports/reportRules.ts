import type { Actor } from '../../protocol/auth.js';
import { AppError, badField, conflict, notFound } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  type ReportBoard,
  type ReportDocument,
  type ReportRequest,
  type ReportRequestInputParsed,
  type ReportStatus,
  type ReportSubmission,
  reportStatuses,
  type SiteReport,
} from '../../protocol/reports.js';
import { formatDateTime } from '../../protocol/time.js';

/*
 * What a report request and a site's report may hold, and when: the request's sites take part
 * in the meeting, a site answers only requests that name it, a received report is final, the
 * answers follow the outline. Pure functions; ReportService reads, checks with them, writes.
 */

const sectionName = (s: { number?: string | undefined; title: string }) =>
  `${s.number ? `${s.number}. ` : ''}${s.title}`;

/** Status of one site's report against the deadline; late means received after it, never refused. */
export function statusOf(
  submission: ReportSubmission | undefined,
  deadlineAt: number,
): ReportStatus {
  if (!submission) return 'not-started';
  if (!submission.submittedAt) return 'draft';
  return Date.parse(submission.submittedAt) > deadlineAt ? 'late' : 'submitted';
}

/** The request's sites and consolidator must take part in the meeting; not for a cancelled one. */
export function assertFitsMeeting(input: ReportRequestInputParsed, meeting: Meeting): void {
  if (meeting.state === 'cancelled')
    throw conflict(
      { vi: 'Hội nghị đã bị hủy', en: 'The meeting was cancelled' },
      { state: meeting.state },
    );
  const inMeeting = new Set(meeting.sites.map((s) => s.siteId));
  input.siteIds.forEach((id, i) => {
    if (!inMeeting.has(id))
      throw badField(`body.siteIds.${i}`, {
        vi: 'Điểm cầu không tham dự hội nghị này',
        en: 'The site does not take part in this meeting',
      });
  });
  const c = input.consolidator;
  if (c.kind === 'site' && !inMeeting.has(c.siteId))
    throw badField('body.consolidator.siteId', {
      vi: 'Điểm cầu tổng hợp phải tham dự hội nghị',
      en: 'The consolidating site must take part in the meeting',
    });
}

/** One site's row: its status against the deadline and whether it is overdue now. */
export function siteReportOf(
  request: ReportRequest,
  siteId: string,
  siteName: string,
  submission: ReportSubmission | undefined,
  now: number,
): SiteReport {
  const deadline = Date.parse(request.deadlineAt);
  return {
    siteId,
    siteName,
    status: statusOf(submission, deadline),
    overdue: !submission?.submittedAt && now > deadline,
    ...(submission ? { savedAt: submission.savedAt, submission } : {}),
    ...(submission?.submittedAt ? { submittedAt: submission.submittedAt } : {}),
  };
}

export function assertSiteReports(request: ReportRequest, siteId: string): void {
  if (!request.siteIds.includes(siteId))
    throw notFound({
      vi: 'Điểm cầu không thuộc diện báo cáo của yêu cầu này',
      en: `This site is not asked for this report: ${siteId}`,
    });
}

export function assertOpen(before: ReportSubmission | undefined): void {
  if (before?.submittedAt)
    throw conflict(
      {
        vi: `Báo cáo đã được nhận lúc ${formatDateTime(before.submittedAt)}`,
        en: `The report was already received at ${formatDateTime(before.submittedAt)}`,
      },
      { submittedAt: before.submittedAt },
    );
}

/**
 * A site's answer to one section: own keys only. A section id is free text of the outline, so
 * `toString` or `constructor` must not find Object.prototype's functions.
 */
export function answerOf(
  sections: Readonly<Record<string, string | undefined>>,
  id: string,
): string | undefined {
  if (!Object.hasOwn(sections, id)) return undefined;
  const value = sections[id];
  return typeof value === 'string' ? value : undefined;
}

/** Answers keyed by the outline's section ids; empty answers dropped, unknown ids refused. */
export function cleanSections(
  request: ReportRequest,
  sections: Record<string, string | undefined>,
): Record<string, string> {
  const known = new Set(request.sections.map((s) => s.id));
  // A plain record (it is stored as JSON), written with defineProperty so no id is special.
  const out: Record<string, string> = {};
  for (const [id, value] of Object.entries(sections)) {
    if (!known.has(id))
      throw badField(`body.sections.${id}`, {
        vi: 'Mục không có trong đề cương',
        en: 'Not in the outline',
      });
    if (value)
      Object.defineProperty(out, id, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

/** A saved draft: the answers sent, the earlier document kept. */
export function draftOf(
  before: ReportSubmission | undefined,
  request: ReportRequest,
  siteId: string,
  sections: Record<string, string | undefined>,
  at: string,
): ReportSubmission {
  return {
    requestId: request.id,
    siteId,
    version: (before?.version ?? 0) + 1,
    sections: cleanSections(request, sections),
    ...(before?.document ? { document: before.document } : {}),
    savedAt: at,
  };
}

/**
 * The submitted report (with the answers sent, else the saved draft). Every required section
 * must be filled unless a document carries the report.
 */
export function submittedOf(
  before: ReportSubmission | undefined,
  request: ReportRequest,
  siteId: string,
  sent: Record<string, string | undefined> | undefined,
  actor: Actor,
  at: string,
): ReportSubmission {
  const sections =
    sent && Object.keys(sent).length > 0 ? cleanSections(request, sent) : (before?.sections ?? {});
  if (!before?.document) {
    const missing = request.sections.filter((s) => s.required && !answerOf(sections, s.id)?.trim());
    if (missing.length > 0)
      throw new AppError(
        'bad_request',
        {
          vi: `Mục bắt buộc chưa có nội dung: ${missing.map(sectionName).join('; ')}`,
          en: `Required sections are empty: ${missing.map(sectionName).join('; ')}`,
        },
        { missing: missing.map((s) => s.id) },
        missing.map((s) => ({
          path: `body.sections.${s.id}`,
          message: { vi: 'Mục bắt buộc chưa có nội dung', en: 'This section is required' },
        })),
      );
  }
  return {
    requestId: request.id,
    siteId,
    version: (before?.version ?? 0) + 1,
    sections,
    ...(before?.document ? { document: before.document } : {}),
    savedAt: at,
    submittedAt: at,
    submittedBy: actor,
  };
}

/** The report with an uploaded document (replacing an earlier one); answers kept. */
export function withDocument(
  before: ReportSubmission | undefined,
  requestId: string,
  siteId: string,
  document: ReportDocument,
  at: string,
): ReportSubmission {
  return {
    requestId,
    siteId,
    version: (before?.version ?? 0) + 1,
    sections: before?.sections ?? {},
    document,
    savedAt: at,
  };
}

/** The status board: rows without the answers, and how many sites are in each status. */
export function boardOf(request: ReportRequest, rows: SiteReport[]): ReportBoard {
  const counts = Object.fromEntries(reportStatuses.map((s) => [s, 0])) as Record<
    ReportStatus,
    number
  >;
  for (const r of rows) counts[r.status]++;
  return { request, rows: rows.map(({ submission: _s, ...row }) => row), counts };
}
