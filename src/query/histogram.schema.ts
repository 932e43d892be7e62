import { z } from 'zod';

/** GET /v1/events/histogram's answer; the web page takes its type from here (`import type`). */
export const histogramSchema = z.object({
  buckets: z.array(z.object({
    start: z.string(),
    end: z.string(),
    counts: z.record(z.string(), z.number().int()).describe('entries per result; results with none are left out'),
  })),
  interval_ms: z.number().int().describe('the width of each bucket'),
  capped: z.literal(true).optional(),
});

export type Histogram = z.infer<typeof histogramSchema>;
