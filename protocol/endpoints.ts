import { z } from 'zod';
import type { Role } from './auth.js';
import { idSchema } from './fields.js';

/*
 * Who is in a live session, and how each is named there. The people are the ones of
 * protocol/auth.ts (Role: who holds which login or link); in the session they act as endpoints,
 * and this file is the one written mapping between the two. Browser-safe: pure zod.
 */

export const endpointRoles = ['station', 'site', 'chair', 'it'] as const;
export const endpointRoleSchema = z.enum(endpointRoles);
export type EndpointRole = z.infer<typeof endpointRoleSchema>;

/**
 * The endpoint role each login or link takes in the live session; viewers and reporters never
 * join it (viewers watch the HLS stream, reporters only send reports).
 */
export const endpointRoleOf: Readonly<Record<Role, EndpointRole | undefined>> = {
  admin: 'it',
  chair: 'chair',
  technician: 'site',
  station: 'station',
  viewer: undefined,
  reporter: undefined,
};

/** A site's endpoint: one per site, whichever page or tab holds its link. */
export const siteEndpointId = (siteId: string): string => `site:${siteId}`;

/** An endpoint's id: its role, with the site or IT user it stands for. */
export function endpointId(p: { role: EndpointRole; siteId?: string; userId?: string }): string {
  switch (p.role) {
    case 'site':
      return siteEndpointId(p.siteId ?? '');
    case 'it':
      return `it:${p.userId ?? 'staff'}`;
    default:
      return p.role;
  }
}

/** station, chair, site:<site id> or it:<user id> (see endpointId). */
export const endpointIdSchema = z
  .string()
  .max(80)
  .refine(
    (s) =>
      s === 'station' ||
      s === 'chair' ||
      s === 'it:staff' ||
      ((s.startsWith('site:') || s.startsWith('it:')) &&
        idSchema.safeParse(s.slice(s.indexOf(':') + 1)).success),
    { error: 'expected station, chair, site:<id> or it:<id>' },
  );
