import { z } from 'zod';
import { actorSchema } from './auth.js';
import { idOf, idSchema, integer, isoDateTime, list, optionalText, text } from './fields.js';
import { zodMessage } from './text.js';

/**
 * Reports collected from sites before (or after) a meeting: what the department asks for
 * (an outline with a deadline), what each site sends back, and the status board. Browser-safe.
 */

export const outlineSectionSchema = z.strictObject({
  /** Stable key of the section inside the request: the site's answers are keyed by it. */
  id: idOf({ vi: 'Mã mục', en: 'Section id' }),
  /** Numbering as the letter prints it, e.g. "1.2" or "3.1". */
  number: optionalText({ vi: 'Số thứ tự mục', en: 'Section number' }, 20),
  title: text({ vi: 'Tên mục', en: 'Section title' }, 500),
  hint: optionalText({ vi: 'Gợi ý nội dung', en: 'Hint' }, 3000, { multiline: true }),
  required: z.boolean().default(true),
  /** 1: a part heading ("1. Tình hình triển khai"), 2: a point under it ("1.1. …"). */
  level: integer({ vi: 'Cấp mục', en: 'Section level' }, 1, 3).default(1),
});
export type OutlineSection = z.infer<typeof outlineSectionSchema>;
export type OutlineSectionInput = z.input<typeof outlineSectionSchema>;

export const deadlineSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('absolute'),
      at: isoDateTime({ vi: 'Hạn nộp', en: 'Deadline' }),
    }),
    z.strictObject({
      kind: z.literal('relative'),
      days: integer({ vi: 'Số ngày', en: 'Days' }, 0, 365),
      /** before: counted back from the opening; after: counted on from the closing. */
      direction: z.enum(['before', 'after'], {
        error: zodMessage({
          vi: 'direction phải là before hoặc after',
          en: 'direction must be before or after',
        }),
      }),
    }),
  ],
  {
    error: zodMessage({
      vi: 'Hạn nộp: kind phải là absolute hoặc relative',
      en: 'Deadline kind must be absolute or relative',
    }),
  },
);
export type Deadline = z.infer<typeof deadlineSchema>;

/** Who assembles the reports: the main point, or a site for the units attending there (seed 002). */
export const consolidatorSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('main') }),
    z.strictObject({
      kind: z.literal('site'),
      siteId: idOf({ vi: 'Điểm cầu tổng hợp', en: 'Consolidating site' }),
    }),
  ],
  {
    error: zodMessage({
      vi: 'Đơn vị tổng hợp: kind phải là main hoặc site',
      en: 'consolidator kind must be main or site',
    }),
  },
);
export type Consolidator = z.infer<typeof consolidatorSchema>;

const requestFields = {
  title: text({ vi: 'Tên báo cáo', en: 'Report title' }, 300),
  instructions: optionalText({ vi: 'Hướng dẫn', en: 'Instructions' }, 5000, { multiline: true }),
  /** The sites that must report. */
  siteIds: list(
    idOf({ vi: 'Điểm cầu báo cáo', en: 'Reporting site' }),
    {
      vi: 'Các điểm cầu báo cáo',
      en: 'Reporting sites',
    },
    500,
  ).min(1, {
    error: zodMessage({
      vi: 'Cần ít nhất một điểm cầu báo cáo',
      en: 'At least one reporting site is required',
    }),
  }),
  sections: list(outlineSectionSchema, { vi: 'Đề cương báo cáo', en: 'Report outline' }, 100).min(
    1,
    {
      error: zodMessage({
        vi: 'Đề cương cần ít nhất một mục',
        en: 'The outline needs at least one section',
      }),
    },
  ),
  deadline: deadlineSchema,
  /** First reminder this many days before the deadline; a second one goes 1 day before. */
  reminderDays: integer({ vi: 'Nhắc trước (ngày)', en: 'Reminder lead (days)' }, 1, 60).default(3),
  consolidator: consolidatorSchema.default({ kind: 'main' }),
};

type RequestFieldsOut = z.infer<z.ZodObject<typeof requestFields>>;

function checkRequest(r: RequestFieldsOut, ctx: z.RefinementCtx): void {
  if (!Array.isArray(r.sections) || !Array.isArray(r.siteIds)) return;
  const seen = new Set<string>();
  r.sections.forEach((s, i) => {
    if (seen.has(s.id))
      ctx.addIssue({
        code: 'custom',
        path: ['sections', i, 'id'],
        message: zodMessage({ vi: 'Mã mục bị trùng', en: 'Section id used twice' }),
      });
    seen.add(s.id);
  });
  const sites = new Set<string>();
  r.siteIds.forEach((id, i) => {
    if (sites.has(id))
      ctx.addIssue({
        code: 'custom',
        path: ['siteIds', i],
        message: zodMessage({ vi: 'Điểm cầu bị trùng', en: 'Site listed twice' }),
      });
    sites.add(id);
  });
}

/** Body of POST /api/meetings/:id/report-requests. */
export const reportRequestInputSchema = z.strictObject(requestFields).superRefine(checkRequest);
export type ReportRequestInput = z.input<typeof reportRequestInputSchema>;
export type ReportRequestInputParsed = z.output<typeof reportRequestInputSchema>;

/** Body of PUT …/report-requests/:requestId: the whole request plus the version read. */
export const reportRequestUpdateSchema = z
  .strictObject({ ...requestFields, version: z.int().positive().optional() })
  .superRefine(checkRequest);

export const reportRequestSchema = z.object({
  id: idSchema,
  meetingId: idSchema,
  version: z.int().positive(),
  ...requestFields,
  /** The deadline as an instant, from the meeting's current times (a moved meeting moves it). */
  deadlineAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReportRequest = z.infer<typeof reportRequestSchema>;

export const reportDocumentSchema = z.object({
  fileName: z.string(),
  contentType: z.string(),
  size: z.int().nonnegative(),
  uploadedAt: z.string(),
});
export type ReportDocument = z.infer<typeof reportDocumentSchema>;

const answer = optionalText({ vi: 'Nội dung mục', en: 'Section text' }, 50_000, {
  multiline: true,
});

/** Body of PUT (draft) and POST …/submit: the answers by section id. */
export const reportAnswersInputSchema = z.strictObject({
  sections: z.record(idOf({ vi: 'Mã mục', en: 'Section id' }), answer).default({}),
  version: z.int().positive().optional(),
});
export type ReportAnswersInput = z.input<typeof reportAnswersInputSchema>;

export const reportStatuses = ['not-started', 'draft', 'submitted', 'late'] as const;
export const reportStatusSchema = z.enum(reportStatuses);
export type ReportStatus = z.infer<typeof reportStatusSchema>;

export const reportStatusLabels: Readonly<Record<ReportStatus, { vi: string; en: string }>> = {
  'not-started': { vi: 'Chưa bắt đầu', en: 'Not started' },
  draft: { vi: 'Đang soạn', en: 'Draft' },
  submitted: { vi: 'Đã nộp', en: 'Submitted' },
  late: { vi: 'Nộp muộn', en: 'Submitted late' },
};

/** One site's report as stored: drafts until submitted; a late submission is kept, marked late. */
export const reportSubmissionSchema = z.object({
  requestId: idSchema,
  siteId: idSchema,
  version: z.int().positive(),
  sections: z.record(z.string(), z.string()),
  document: reportDocumentSchema.optional(),
  savedAt: z.string(),
  submittedAt: z.string().optional(),
  submittedBy: actorSchema.optional(),
});
export type ReportSubmission = z.infer<typeof reportSubmissionSchema>;

/** What a site sees and what the board shows, per site. */
export const siteReportSchema = z.object({
  siteId: idSchema,
  siteName: z.string(),
  status: reportStatusSchema,
  /** Deadline passed without a submission. */
  overdue: z.boolean(),
  savedAt: z.string().optional(),
  submittedAt: z.string().optional(),
  submission: reportSubmissionSchema.optional(),
});
export type SiteReport = z.infer<typeof siteReportSchema>;

export const reportBoardSchema = z.object({
  request: reportRequestSchema,
  rows: z.array(siteReportSchema.omit({ submission: true })),
  counts: z.record(reportStatusSchema, z.int()),
});
export type ReportBoard = z.infer<typeof reportBoardSchema>;

export const reportRequestListSchema = z.object({
  requests: z.array(reportRequestSchema),
});

/** A site's view: the requests it must answer, each with its own report. */
export const siteReportListSchema = z.object({
  reports: z.array(z.object({ request: reportRequestSchema, report: siteReportSchema })),
});
export type SiteReportList = z.infer<typeof siteReportListSchema>;

export const reportTemplateSchema = z.object({
  id: z.string(),
  name: z.object({ vi: z.string(), en: z.string() }),
  source: z.string(),
  title: z.string(),
  sections: z.array(outlineSectionSchema),
});
export type ReportTemplate = z.infer<typeof reportTemplateSchema>;
export const reportTemplateListSchema = z.object({ templates: z.array(reportTemplateSchema) });

export const reportRequestParamsSchema = z.object({
  id: idOf({ vi: 'Mã hội nghị', en: 'Meeting id' }),
  requestId: idOf({ vi: 'Mã yêu cầu báo cáo', en: 'Report request id' }),
});
export const siteReportParamsSchema = reportRequestParamsSchema.extend({
  siteId: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }),
});

/** "7 ngày trước hội nghị" / "7 days before the meeting". */
export function deadlineLabel(d: Deadline): { vi: string; en: string } | undefined {
  if (d.kind === 'absolute') return undefined;
  return d.direction === 'before'
    ? { vi: `${d.days} ngày trước hội nghị`, en: `${d.days} days before the meeting` }
    : { vi: `${d.days} ngày sau hội nghị`, en: `${d.days} days after the meeting` };
}

/** The deadline as an instant (ms) for a meeting's times. */
export function deadlineAtMs(d: Deadline, meeting: { opensAt: string; closesAt: string }): number {
  if (d.kind === 'absolute') return Date.parse(d.at);
  const day = 86_400_000;
  return d.direction === 'before'
    ? Date.parse(meeting.opensAt) - d.days * day
    : Date.parse(meeting.closesAt) + d.days * day;
}
