import { z } from 'zod';
import {
  idSchema,
  list,
  optionalEmail,
  optionalPhone,
  optionalText,
  text,
  timestampSchema,
} from './fields.js';
import { zodMessage } from './text.js';

/**
 * What a bridge point is. Generic on purpose: since 1 July 2025 local government has two tiers
 * (no districts), so a department may connect commune offices or schools instead.
 */
export const siteKinds = [
  'main_hall',
  'district_office',
  'commune_office',
  'school',
  'ministry',
  'other',
] as const;
export const siteKindSchema = z.enum(siteKinds, {
  error: zodMessage({
    vi: `Loại điểm cầu phải là một trong ${siteKinds.join(', ')}`,
    en: `Site kind must be one of ${siteKinds.join(', ')}`,
  }),
});
export type SiteKind = z.infer<typeof siteKindSchema>;

export const siteKindLabels: Readonly<Record<SiteKind, { vi: string; en: string }>> = {
  main_hall: { vi: 'Hội trường điểm cầu chính', en: 'Main hall' },
  district_office: { vi: 'Phòng GD&ĐT huyện, thành phố', en: 'District/city office' },
  commune_office: { vi: 'Điểm cầu xã, phường', en: 'Commune/ward office' },
  school: { vi: 'Trường học', en: 'School' },
  ministry: { vi: 'Bộ Giáo dục và Đào tạo', en: 'Ministry' },
  other: { vi: 'Khác', en: 'Other' },
};

export const siteTechnicianSchema = z.strictObject({
  name: optionalText({ vi: 'Tên cán bộ kỹ thuật', en: 'Technician name' }, 100),
  phone: optionalPhone({ vi: 'Số điện thoại cán bộ kỹ thuật', en: 'Technician phone' }),
  email: optionalEmail({ vi: 'E-mail cán bộ kỹ thuật', en: 'Technician e-mail' }),
});
export type SiteTechnician = z.infer<typeof siteTechnicianSchema>;

/** A SIP URI the service can dial: plain sip: (no sips:), a host name or IPv4, UDP or TCP. */
export const sipDialOutPattern =
  /^sip:(?:[A-Za-z0-9._+\-!~*'()&=$,%]{1,64}@)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*)(?::\d{1,5})?(?:;transport=(?:udp|tcp|UDP|TCP))?$/;

/**
 * The site's hall room system (SIP): its user name (the From of its calls), and how it proves
 * who it is: a digest password, the addresses it calls from, or both; and, for a room that waits
 * to be called, the address the service dials when the session starts.
 */
export const siteSipSchema = z
  .strictObject({
    user: z.string().regex(/^[a-zA-Z0-9._+-]{1,64}$/, {
      error: zodMessage({
        vi: 'Tên SIP của điểm cầu: 1–64 chữ cái không dấu, chữ số, ".", "_", "+" hoặc "-"',
        en: 'Site SIP user: 1–64 letters, digits, ".", "_", "+" or "-"',
      }),
    }),
    password: z
      .string()
      .min(8, {
        error: zodMessage({
          vi: 'Mật khẩu SIP dài ít nhất 8 ký tự',
          en: 'SIP password must be at least 8 characters',
        }),
      })
      .max(128)
      .optional(),
    allowFrom: z
      .array(
        z.union([z.ipv4(), z.cidrv4()], {
          error: zodMessage({
            vi: 'Địa chỉ gọi đến phải là địa chỉ IPv4 hoặc dải CIDR',
            en: 'Calling addresses must be IPv4 addresses or CIDR ranges',
          }),
        }),
      )
      .max(20)
      .default([]),
    /**
     * Where the service calls the room when the session starts (a room that waits to be called):
     * sip:[user@]host[:port][;transport=udp|tcp]. TLS (sips:) is not offered yet.
     */
    dialOut: z
      .string()
      .max(300)
      .regex(sipDialOutPattern, {
        error: zodMessage({
          vi: 'Địa chỉ gọi ra phải có dạng sip:ten@may-chu[:cổng][;transport=udp|tcp]',
          en: 'Dial-out address must look like sip:user@host[:port][;transport=udp|tcp]',
        }),
      })
      .optional(),
  })
  .refine((s) => s.password !== undefined || s.allowFrom.length > 0 || s.dialOut, {
    error: zodMessage({
      vi: 'Thiết bị SIP cần mật khẩu, địa chỉ gọi đến hoặc địa chỉ gọi ra',
      en: 'A SIP room system needs a password, calling addresses or a dial-out address',
    }),
    path: ['password'],
  });
export type SiteSip = z.infer<typeof siteSipSchema>;

const siteFields = {
  name: text({ vi: 'Tên điểm cầu', en: 'Site name' }, 200),
  kind: siteKindSchema,
  /** The unit whose room hosts the site, e.g. a lower-secondary school (seed 003). */
  hostUnit: optionalText({ vi: 'Đơn vị đặt điểm cầu', en: 'Host unit' }, 200),
  address: optionalText({ vi: 'Địa chỉ', en: 'Address' }, 300),
  technician: siteTechnicianSchema.optional(),
  /** Units that attend at this site (seed 003: provincial centres at the city site). */
  attendingUnits: list(
    text({ vi: 'Đơn vị dự họp tại điểm cầu', en: 'Attending unit' }, 200),
    { vi: 'Các đơn vị dự họp tại điểm cầu', en: 'Attending units' },
    200,
  ).default([]),
  notes: optionalText({ vi: 'Ghi chú', en: 'Notes' }, 2000, { multiline: true }),
  /** The hall's room system, when it joins by SIP (never shown to other sites). */
  sip: siteSipSchema.optional(),
};

/** Body of POST /api/sites. */
export const siteInputSchema = z.strictObject(siteFields);
export type SiteInput = z.input<typeof siteInputSchema>;

/** Body of PUT /api/sites/:id: the whole site plus the version it was read at (or If-Match). */
export const siteUpdateSchema = z.strictObject({
  ...siteFields,
  version: z.int().positive().optional(),
});

export const siteSchema = z.object({
  id: idSchema,
  version: z.int().positive(),
  ...siteFields,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Site = z.infer<typeof siteSchema>;

/** What a technician's or chair's page may see of a site (no contact details of other sites). */
export const sitePublicSchema = z.object({
  id: idSchema,
  name: z.string(),
  kind: siteKindSchema,
  hostUnit: z.string().optional(),
  address: z.string().optional(),
  attendingUnits: z.array(z.string()),
  technician: siteTechnicianSchema.optional(),
});
export type SitePublic = z.infer<typeof sitePublicSchema>;
