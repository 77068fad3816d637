/** The parts of `deno task report`, in the order they run and appear in report.md. */
import { cachePart } from "./parts/cache/part.ts";
import { failuresPart } from "./parts/failures/part.ts";
import { kvPart } from "./parts/kv/part.ts";
import { locksPart } from "./parts/locks/part.ts";
import { queuesPart } from "./parts/queues/part.ts";
import { scalePart } from "./parts/scale/part.ts";
import type { ReportPart } from "./results.ts";

/** Every registered part; `--only` picks from these by id. */
export const REPORT_PARTS: ReportPart[] = [
  locksPart,
  kvPart,
  queuesPart,
  cachePart,
  failuresPart,
  scalePart,
];
