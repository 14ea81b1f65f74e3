import { z } from 'zod';
import { textSchema } from './text.js';

/** An optional program the server starts for a feature (server/ops/tools.ts), for IT. */
export const toolStatusSchema = z.object({
  id: z.enum(['chromium', 'ffmpeg', 'gstreamer', 'fonts']),
  path: z.string(),
  packages: z.array(z.string()),
  ok: z.boolean(),
  problem: z.string().optional(),
  disables: textSchema,
});
export type ToolStatusView = z.infer<typeof toolStatusSchema>;

export const toolsReportSchema = z.object({
  /** True when every optional tool is usable. */
  complete: z.boolean(),
  tools: z.array(toolStatusSchema),
});
export type ToolsReport = z.infer<typeof toolsReportSchema>;
