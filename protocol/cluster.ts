import { z } from 'zod';

/** Where a meeting's live session runs: the page connects socket.io to this URL. */
export const liveLocationSchema = z.object({
  url: z.url(),
  nodeId: z.string(),
});
export type LiveLocation = z.infer<typeof liveLocationSchema>;

/** A node of the service as IT sees it. */
export const clusterNodeSchema = z.object({
  id: z.string(),
  url: z.url(),
  mediaAddress: z.string(),
  startedAt: z.int(),
  heartbeatAt: z.int(),
  load: z.object({
    sessions: z.int(),
    endpoints: z.int(),
    consumers: z.int(),
    /** Media workers' CPU, percent of one core (averaged over the node's workers). */
    workerCpu: z.number(),
  }),
});
