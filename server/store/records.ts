import { z } from 'zod';
import { joinLinkSchema } from '../../protocol/auth.js';

/** Shapes stored in Redis that never leave the server as such (they hold hashes). */

export const storedLinkSchema = joinLinkSchema.omit({ expiresAt: true }).extend({
  /** SHA-256 (hex) of the token; the link-hash key points back to this record. */
  tokenHash: z.string(),
  /** When a newer link replaced this one (re-issue). */
  replacedBy: z.string().optional(),
});
export type StoredLink = z.infer<typeof storedLinkSchema>;

export const storedUserSchema = z.object({
  id: z.string(),
  version: z.int().positive(),
  username: z.string(),
  /** scrypt$N$r$p$salt$hash (base64url); see server/auth/passwords.ts. */
  passwordHash: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type StoredUser = z.infer<typeof storedUserSchema>;

export const storedSessionSchema = z.object({
  userId: z.string(),
  /** The account's version at login; a password reset bumps it and ends older logins. */
  userVersion: z.number().int().optional(),
  username: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type StoredSession = z.infer<typeof storedSessionSchema>;
