import { z } from 'zod';
import { idSchema } from '../fields.js';
import { checkFiguresSchema, durationMsSchema, verdictSchema } from './figures.js';
import { reasonSchema } from './reasons.js';
import { checkAssessmentSchema } from './score.js';

/*
 * The technical check (giao ban kỹ thuật): the figures and thresholds (checkFigures.ts), the
 * verdict (checkVerdict.ts), the grade (checkScore.ts) and here the stored result. Readiness is
 * protocol/readiness.ts, the check's socket messages protocol/check/socket.ts.
 */
export * from './figures.js';
export {
  BLACK_CAMERA_LUMA,
  causeLabels,
  evaluateCheck,
  type Reason,
  type ReasonCause,
  type ReasonCode,
  reasonCause,
  reasonCodes,
  reasonSchema,
  reasonsByCause,
  reasonText,
  SILENT_MIC_LEVEL,
} from './verdict.js';

/** Checks (UUIDs) follow the one id rule. */
const id = idSchema;

// ---------------------------------------------------------------------------------------------
// The stored result

export const checkResultSchema = z.object({
  checkId: id,
  kind: z.enum(['window', 'recheck', 'on-demand']),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: durationMsSchema,
  figures: checkFiguresSchema,
  verdict: verdictSchema,
  reasons: z.array(reasonSchema),
  /** The grade and bandwidth as people read them; absent in results stored before it existed. */
  assessment: checkAssessmentSchema.optional(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;
