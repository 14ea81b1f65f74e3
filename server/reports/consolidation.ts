import type { Meeting } from '../../protocol/meetings.js';
import type { ReportRequest, SiteReport } from '../../protocol/reports.js';
import { formatDateTime } from '../../protocol/time.js';
import { answerOf } from './reportRules.js';

/** What the consolidated documents are built from (ReportService.collect). */
export interface ConsolidationInput {
  request: ReportRequest;
  meeting: Meeting;
  rows: SiteReport[];
}

export interface ConsolidatedEntry {
  siteName: string;
  /** The site's text for the section, paragraphs split on blank lines or line breaks. */
  paragraphs: string[];
}

export interface ConsolidatedSection {
  heading: string;
  level: number;
  entries: ConsolidatedEntry[];
}

/** One document's content, shared by the HTML and the .docx so both say the same. */
export interface Consolidated {
  organizer: string;
  title: string;
  /** "Tổng hợp từ báo cáo của 3/4 điểm cầu; hạn nộp 07:30 25/10/2011." */
  intro: string;
  sections: ConsolidatedSection[];
  /** Received reports with their time ("… (nộp muộn)"). */
  received: string[];
  /** Sites whose report has not been received. */
  missing: string[];
}

const headingOf = (s: { number?: string | undefined; title: string }) =>
  s.number ? `${s.number}. ${s.title}` : s.title;

/**
 * Every submitted report's sections under the outline headings, site by site in the request's
 * order. Drafts are not included: only what a site has sent counts.
 */
export function consolidate(input: ConsolidationInput): Consolidated {
  const { request, meeting, rows } = input;
  const sent = rows.filter((r) => r.status === 'submitted' || r.status === 'late');
  const sections = request.sections.map((section) => ({
    heading: headingOf(section),
    level: section.level,
    entries: sent.flatMap((row) => {
      const text = row.submission
        ? answerOf(row.submission.sections, section.id)?.trim()
        : undefined;
      if (!text) return [];
      const paragraphs = text
        .split(/\r?\n/)
        .map((p) => p.trim())
        .filter(Boolean);
      return [{ siteName: row.siteName, paragraphs }];
    }),
  }));
  return {
    organizer: meeting.organizer,
    title: request.title,
    intro: `Tổng hợp từ báo cáo của ${sent.length}/${rows.length} điểm cầu gửi cho ${meeting.title}; hạn nộp ${formatDateTime(request.deadlineAt)}.`,
    sections,
    received: sent.map(
      (r) =>
        `${r.siteName}: nhận lúc ${formatDateTime(r.submittedAt!)}${r.status === 'late' ? ' (nộp muộn)' : ''}${
          r.submission?.document ? `; văn bản kèm theo: ${r.submission.document.fileName}` : ''
        }`,
    ),
    missing: rows.filter((r) => !sent.includes(r)).map((r) => r.siteName),
  };
}
