import { z } from 'zod';
import { idOf, idSchema, timestampSchema } from './fields.js';
import { zodMessage } from './text.js';

/**
 * The people, by what they hold: the IT login or a join link. The one role vocabulary; in a live
 * session each acts as an endpoint (protocol/endpoints.ts: endpointRoleOf maps one to the other).
 */
export const roles = ['admin', 'chair', 'technician', 'station', 'viewer', 'reporter'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

export const roleLabels: Readonly<Record<Role, { vi: string; en: string }>> = {
  admin: { vi: 'Quản trị (tổ CNTT)', en: 'Administrator (IT staff)' },
  chair: { vi: 'Chủ trì', en: 'Chair' },
  technician: { vi: 'Cán bộ kỹ thuật điểm cầu', en: 'Site technician' },
  station: { vi: 'Máy điểm cầu chính', en: 'Main-point station' },
  viewer: { vi: 'Người xem (chỉ xem trực tiếp)', en: 'Viewer (watch only)' },
  reporter: { vi: 'Người gửi báo cáo của điểm cầu', en: 'Site reporter' },
};

/** Who is calling, after authentication. Join-link roles are bound to one meeting (and site). */
export const principalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('admin'), userId: idSchema, username: z.string() }),
  z.object({ kind: z.literal('chair'), meetingId: idSchema, tokenId: idSchema }),
  z.object({
    kind: z.literal('technician'),
    meetingId: idSchema,
    siteId: idSchema,
    tokenId: idSchema,
  }),
  z.object({ kind: z.literal('station'), meetingId: idSchema, tokenId: idSchema }),
  /** Watches the programme's HLS stream; no camera, microphone or socket. */
  z.object({ kind: z.literal('viewer'), meetingId: idSchema, tokenId: idSchema }),
  /** Reads and writes the reports of one site, nothing else (no live session). */
  z.object({
    kind: z.literal('reporter'),
    meetingId: idSchema,
    siteId: idSchema,
    tokenId: idSchema,
  }),
]);
export type Principal = z.infer<typeof principalSchema>;

/** Who did something, as the audit trail records it. */
export const actorSchema = z.object({
  kind: z.enum([...roles, 'system']),
  id: z.string().optional(),
  name: z.string().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

const username = z
  .string({ error: zodMessage({ vi: 'Tên đăng nhập là bắt buộc', en: 'Username is required' }) })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{1,64}$/, {
    error: zodMessage({
      vi: 'Tên đăng nhập gồm 1–64 chữ cái không dấu, chữ số, ".", "_" hoặc "-"',
      en: 'Username: 1–64 letters, digits, ".", "_" or "-"',
    }),
  });
export const usernameSchema = username;

export const loginInputSchema = z.strictObject({
  username,
  password: z
    .string({ error: zodMessage({ vi: 'Mật khẩu là bắt buộc', en: 'Password is required' }) })
    .min(1, {
      error: zodMessage({ vi: 'Mật khẩu không được để trống', en: 'Password must not be empty' }),
    })
    .max(200, { error: zodMessage({ vi: 'Mật khẩu quá dài', en: 'Password is too long' }) }),
});
export type LoginInput = z.infer<typeof loginInputSchema>;

export const userSchema = z.object({
  id: idSchema,
  username: z.string(),
  createdAt: timestampSchema,
});
export type User = z.infer<typeof userSchema>;

export const meResponseSchema = z.object({
  principal: principalSchema,
  /** Session expiry (admins) or link expiry (join links). */
  expiresAt: z.string().optional(),
});
export type MeResponse = z.infer<typeof meResponseSchema>;

export const linkRoles = [
  'chair',
  'technician',
  'station',
  'viewer',
  'reporter',
] as const satisfies readonly Role[];
export const linkRoleSchema = z.enum(linkRoles, {
  error: zodMessage({
    vi: 'Vai trò phải là chair, technician, station, viewer hoặc reporter',
    en: 'Role must be chair, technician, station, viewer or reporter',
  }),
});
/** Link roles bound to one site. */
export const siteLinkRoles: readonly LinkRole[] = ['technician', 'reporter'];
export type LinkRole = z.infer<typeof linkRoleSchema>;

export const issueLinkInputSchema = z
  .strictObject({
    role: linkRoleSchema,
    siteId: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }).optional(),
  })
  .superRefine((v, ctx) => {
    const siteBound = siteLinkRoles.includes(v.role);
    if (siteBound && v.siteId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['siteId'],
        message:
          v.role === 'technician'
            ? zodMessage({
                vi: 'Liên kết cán bộ kỹ thuật cần điểm cầu',
                en: 'A technician link needs a site (siteId)',
              })
            : zodMessage({
                vi: 'Liên kết người gửi báo cáo cần điểm cầu',
                en: 'A reporter link needs a site (siteId)',
              }),
      });
    }
    if (!siteBound && v.siteId !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['siteId'],
        message: zodMessage({
          vi: 'Chỉ liên kết cán bộ kỹ thuật hoặc người gửi báo cáo gắn với điểm cầu',
          en: 'Only technician and reporter links belong to a site',
        }),
      });
    }
  });
export type IssueLinkInput = z.infer<typeof issueLinkInputSchema>;

/** A join link as stored; the token itself is never stored, only its SHA-256. */
export const joinLinkSchema = z.object({
  id: idSchema,
  role: linkRoleSchema,
  meetingId: idSchema,
  siteId: idSchema.optional(),
  createdAt: timestampSchema,
  createdBy: actorSchema,
  revokedAt: timestampSchema.optional(),
  /** The meeting's closing time plus a margin; recomputed when the meeting's times change. */
  expiresAt: timestampSchema,
});
export type JoinLink = z.infer<typeof joinLinkSchema>;

/** Answer to issuing a link: the only time the token and URL are shown. */
export const issuedLinkSchema = z.object({
  link: joinLinkSchema,
  token: z.string(),
  url: z.string(),
});
export type IssuedLink = z.infer<typeof issuedLinkSchema>;

export const joinLinkListSchema = z.object({ links: z.array(joinLinkSchema) });
export const issuedLinkListSchema = z.object({ issued: z.array(issuedLinkSchema) });

export const auditEntrySchema = z.object({
  id: z.string(),
  at: timestampSchema,
  actor: actorSchema,
  action: z.string(),
  target: z.string(),
  meetingId: z.string().optional(),
  /** What changed, e.g. { opensAt: ["…", "…"] } or { state: ["draft", "scheduled"] }. */
  changes: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export const auditListSchema = z.object({ entries: z.array(auditEntrySchema) });
