import { z } from 'zod';
import { meetingCheckThresholdsSchema } from './check/queue.js';
import {
  idOf,
  idSchema,
  integer,
  isoDateTime,
  list,
  localDate,
  optionalText,
  text,
  timestampSchema,
} from './fields.js';
import { sitePublicSchema } from './sites.js';
import { zodMessage } from './text.js';

export const meetingStates = [
  'draft',
  'scheduled',
  'checking',
  'live',
  'ended',
  'cancelled',
] as const;
export const meetingStateSchema = z.enum(meetingStates);
export type MeetingState = z.infer<typeof meetingStateSchema>;

export const meetingStateLabels: Readonly<Record<MeetingState, { vi: string; en: string }>> = {
  draft: { vi: 'Bản nháp', en: 'Draft' },
  scheduled: { vi: 'Đã lên lịch', en: 'Scheduled' },
  checking: { vi: 'Đang kiểm tra kỹ thuật', en: 'Technical check' },
  live: { vi: 'Đang họp', en: 'Live' },
  ended: { vi: 'Đã kết thúc', en: 'Ended' },
  cancelled: { vi: 'Đã hủy', en: 'Cancelled' },
};

/**
 * The only ways a meeting changes state. goLive is allowed from scheduled as well as checking:
 * a check may have been run outside the system, and the chair must never be blocked at 07:30.
 */
export const meetingTransitions = {
  schedule: { from: ['draft'], to: 'scheduled' },
  unschedule: { from: ['scheduled'], to: 'draft' },
  startCheck: { from: ['scheduled'], to: 'checking' },
  endCheck: { from: ['checking'], to: 'scheduled' },
  goLive: { from: ['scheduled', 'checking'], to: 'live' },
  end: { from: ['live'], to: 'ended' },
  cancel: { from: ['draft', 'scheduled', 'checking'], to: 'cancelled' },
  reopen: { from: ['cancelled'], to: 'draft' },
} as const satisfies Record<string, { from: readonly MeetingState[]; to: MeetingState }>;

export type MeetingAction = keyof typeof meetingTransitions;
export const meetingActions = Object.keys(meetingTransitions) as MeetingAction[];
export const meetingActionSchema = z.enum(meetingActions as [MeetingAction, ...MeetingAction[]], {
  error: zodMessage({
    vi: `Thao tác phải là một trong ${meetingActions.join(', ')}`,
    en: `Action must be one of ${meetingActions.join(', ')}`,
  }),
});

/**
 * States in which the meeting's content may still be edited. A live meeting too: a site may be
 * added or the agenda changed during the session, which follows the edit at once.
 */
export const editableStates: readonly MeetingState[] = ['draft', 'scheduled', 'checking', 'live'];

export const compositionEntrySchema = z.strictObject({
  /** Who must attend, e.g. "Trưởng phòng GD&ĐT" or "Hiệu trưởng các trường trực thuộc". */
  role: text({ vi: 'Thành phần', en: 'Attendee role' }, 300),
  count: integer({ vi: 'Số người', en: 'Head count' }, 1, 10_000).optional(),
});
export type CompositionEntry = z.infer<typeof compositionEntrySchema>;

export const participationSchema = z.strictObject({
  siteId: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }),
  composition: list(
    compositionEntrySchema,
    { vi: 'Thành phần tham dự', en: 'Attendee composition' },
    50,
  ).default([]),
  /** Expected head count at the site ("đủ số lượng"). */
  expectedCount: integer(
    { vi: 'Số người dự kiến', en: 'Expected head count' },
    0,
    100_000,
  ).optional(),
  note: optionalText({ vi: 'Ghi chú', en: 'Note' }, 500, { multiline: true }),
});
export type Participation = z.infer<typeof participationSchema>;

export const agendaItemSchema = z.strictObject({
  startsAt: isoDateTime({ vi: 'Giờ bắt đầu mục chương trình', en: 'Agenda item start' }),
  title: text({ vi: 'Nội dung mục chương trình', en: 'Agenda item title' }, 500),
  presenter: optionalText({ vi: 'Người trình bày', en: 'Presenter' }, 200),
  /** The site that presents (a district office reporting), when not the main point. */
  siteId: idOf({ vi: 'Điểm cầu trình bày', en: 'Presenting site' }).optional(),
  /** Breaks and "end of morning" lines are shown in italics and take nobody's floor. */
  isBreak: z.boolean().default(false),
});
export type AgendaItem = z.infer<typeof agendaItemSchema>;

/** The official letter that convenes the meeting (công văn triệu tập). */
export const letterSchema = z.strictObject({
  /** Superior body printed above the issuer, e.g. "UBND TỈNH BẾN TRE". */
  authority: optionalText({ vi: 'Cơ quan chủ quản', en: 'Superior authority' }, 200),
  /** Number and symbol, e.g. "1039/SGD&ĐT-VP". */
  number: optionalText({ vi: 'Số, ký hiệu văn bản', en: 'Letter number and symbol' }, 60),
  /** "V/v triệu tập đại biểu dự Hội nghị giao ban trực tuyến tháng 11 năm 2011". */
  subject: optionalText({ vi: 'Trích yếu (V/v)', en: 'Subject' }, 500, { multiline: true }),
  place: optionalText({ vi: 'Địa danh', en: 'Place' }, 100),
  date: localDate({ vi: 'Ngày ban hành', en: 'Letter date' }).optional(),
  addressees: list(
    text({ vi: 'Nơi gửi (Kính gửi)', en: 'Addressee' }, 300),
    { vi: 'Kính gửi', en: 'Addressees' },
    50,
  ).default([]),
  /** Opening paragraphs ("Thực hiện …"). */
  preamble: optionalText({ vi: 'Phần mở đầu', en: 'Preamble' }, 10_000, { multiline: true }),
  distribution: list(
    text({ vi: 'Nơi nhận', en: 'Distribution entry' }, 300),
    { vi: 'Nơi nhận', en: 'Distribution' },
    50,
  ).default([]),
  /** E.g. "TL. GIÁM ĐỐC\nCHÁNH VĂN PHÒNG". */
  signerTitle: optionalText({ vi: 'Chức danh người ký', en: 'Signer title' }, 200, {
    multiline: true,
  }),
  signerName: optionalText({ vi: 'Họ tên người ký', en: 'Signer name' }, 100),
});
export type Letter = z.infer<typeof letterSchema>;

const meetingFields = {
  title: text({ vi: 'Tên hội nghị', en: 'Meeting title' }, 300),
  /** Title banner on the main backdrop (tít trên phông chính); line breaks kept. */
  banner: optionalText({ vi: 'Tít trên phông chính', en: 'Backdrop banner' }, 1000, {
    multiline: true,
  }),
  organizer: text({ vi: 'Đơn vị tổ chức', en: 'Organizing unit' }, 200),
  chair: optionalText({ vi: 'Chủ trì', en: 'Chair' }, 200),
  opensAt: isoDateTime({ vi: 'Giờ khai mạc', en: 'Opening time' }),
  closesAt: isoDateTime({ vi: 'Giờ kết thúc', en: 'Closing time' }),
  /** Technical check; defaults to 08:00 Vietnam time the day before the opening. */
  checkAt: isoDateTime({ vi: 'Giờ kiểm tra kỹ thuật', en: 'Technical check time' }).optional(),
  checkDurationMinutes: integer(
    { vi: 'Thời lượng kiểm tra kỹ thuật (phút)', en: 'Check duration (minutes)' },
    10,
    600,
  ).default(60),
  mainSite: participationSchema,
  sites: list(participationSchema, { vi: 'Các điểm cầu tham dự', en: 'Participating sites' }, 500),
  agenda: list(agendaItemSchema, { vi: 'Chương trình', en: 'Agenda' }, 100).default([]),
  /** Extra preparation lines besides equipment, backup power and the technician on duty. */
  requirements: list(
    text({ vi: 'Yêu cầu chuẩn bị', en: 'Requirement' }, 1000, { multiline: true }),
    { vi: 'Các yêu cầu chuẩn bị', en: 'Requirements' },
    30,
  ).default([]),
  letter: letterSchema.optional(),
  /** The check's thresholds for this meeting; each one omitted follows the service's config. */
  checkThresholds: meetingCheckThresholdsSchema.optional(),
};

type MeetingFieldsOut = z.infer<z.ZodObject<typeof meetingFields>>;

/** Rules that involve several fields; each issue names the field to fix. */
function checkMeeting(m: MeetingFieldsOut, ctx: z.RefinementCtx): void {
  // Field-level issues do not stop this check, so anything may still be malformed here.
  const opens = Date.parse(m.opensAt);
  const closes = Date.parse(m.closesAt);
  if (Number.isNaN(opens) || Number.isNaN(closes)) return;
  if (!(closes > opens)) {
    ctx.addIssue({
      code: 'custom',
      path: ['closesAt'],
      message: zodMessage({
        vi: 'Giờ kết thúc phải sau giờ khai mạc',
        en: 'The closing time must be after the opening time',
      }),
    });
  }
  if (m.checkAt !== undefined && !(Date.parse(m.checkAt) < opens)) {
    ctx.addIssue({
      code: 'custom',
      path: ['checkAt'],
      message: zodMessage({
        vi: 'Giờ kiểm tra kỹ thuật phải trước giờ khai mạc',
        en: 'The technical check must be before the opening time',
      }),
    });
  }
  const seen = new Map<string, number>();
  if (!Array.isArray(m.sites) || !Array.isArray(m.agenda) || !m.mainSite) return;
  m.sites.forEach((s, i) => {
    if (s.siteId === m.mainSite.siteId) {
      ctx.addIssue({
        code: 'custom',
        path: ['sites', i, 'siteId'],
        message: zodMessage({
          vi: 'Điểm cầu chính không được đồng thời là điểm cầu tham dự',
          en: 'The main site must not also be a participating site',
        }),
      });
    }
    const first = seen.get(s.siteId);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sites', i, 'siteId'],
        message: zodMessage({
          vi: `Điểm cầu bị trùng với mục ${first}`,
          en: `Site listed twice (same as item ${first})`,
        }),
      });
    } else seen.set(s.siteId, i);
  });
  let previous = Number.NEGATIVE_INFINITY;
  m.agenda.forEach((item, i) => {
    const t = Date.parse(item.startsAt);
    if (t < opens || t > closes) {
      ctx.addIssue({
        code: 'custom',
        path: ['agenda', i, 'startsAt'],
        message: zodMessage({
          vi: 'Mục chương trình phải nằm trong thời gian hội nghị',
          en: 'Agenda item must be within the meeting time',
        }),
      });
    } else if (t < previous) {
      ctx.addIssue({
        code: 'custom',
        path: ['agenda', i, 'startsAt'],
        message: zodMessage({
          vi: 'Mục chương trình phải theo thứ tự thời gian',
          en: 'Agenda items must be in chronological order',
        }),
      });
    }
    previous = Math.max(previous, t);
    if (item.siteId !== undefined && item.siteId !== m.mainSite.siteId && !seen.has(item.siteId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['agenda', i, 'siteId'],
        message: zodMessage({
          vi: 'Điểm cầu trình bày phải là điểm cầu của hội nghị',
          en: 'The presenting site must take part in the meeting',
        }),
      });
    }
  });
}

/** Body of POST /api/meetings. */
export const meetingInputSchema = z.strictObject(meetingFields).superRefine(checkMeeting);
export type MeetingInput = z.input<typeof meetingInputSchema>;
export type MeetingInputParsed = z.output<typeof meetingInputSchema>;

/** Body of PUT /api/meetings/:id: the whole meeting plus the version it was read at (or If-Match). */
export const meetingUpdateSchema = z
  .strictObject({ ...meetingFields, version: z.int().positive().optional() })
  .superRefine(checkMeeting);

export const attachmentSchema = z.object({
  id: idSchema,
  kind: z.enum(['file', 'link']),
  title: z.string(),
  /** For links: where the document is (e.g. the department website). */
  url: z.string().optional(),
  fileName: z.string().optional(),
  contentType: z.string().optional(),
  size: z.int().nonnegative().optional(),
  addedAt: timestampSchema,
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const attachmentLinkInputSchema = z.strictObject({
  title: text({ vi: 'Tên tài liệu', en: 'Document title' }, 300),
  url: text({ vi: 'Đường dẫn tài liệu', en: 'Document URL' }, 2000).refine(
    (s) => /^https?:\/\/[^\s]+$/i.test(s),
    {
      error: zodMessage({
        vi: 'Đường dẫn tài liệu phải bắt đầu bằng http:// hoặc https://',
        en: 'Document URL must start with http:// or https://',
      }),
    },
  ),
});

export const meetingSchema = z.object({
  id: idSchema,
  version: z.int().positive(),
  state: meetingStateSchema,
  ...meetingFields,
  checkAt: z.string(),
  /** True while checkAt follows the default (08:00 the day before), so moving the meeting moves it. */
  checkAtDefault: z.boolean(),
  attachments: z.array(attachmentSchema),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Meeting = z.infer<typeof meetingSchema>;

export const meetingListSchema = z.object({ meetings: z.array(meetingSchema) });

/** Body of a lifecycle action: optional; may carry the version read (or use If-Match). */
export const meetingActionInputSchema = z
  .strictObject({ version: z.int().positive().optional() })
  .nullish();

/** The meeting as a chair, station or technician sees it (GET /api/me/meeting). */
export const meetingViewSchema = z.object({
  id: idSchema,
  version: z.int().positive(),
  state: meetingStateSchema,
  title: z.string(),
  banner: z.string().optional(),
  organizer: z.string(),
  chair: z.string().optional(),
  opensAt: z.string(),
  closesAt: z.string(),
  checkAt: z.string(),
  checkDurationMinutes: z.int(),
  agenda: z.array(agendaItemSchema.extend({ siteName: z.string().optional() })),
  mainSite: participationSchema.extend({ site: sitePublicSchema }),
  /** For a technician: only their own site. */
  sites: z.array(participationSchema.extend({ site: sitePublicSchema })),
  requirements: z.array(z.string()),
  attachments: z.array(attachmentSchema),
});
export type MeetingView = z.infer<typeof meetingViewSchema>;
