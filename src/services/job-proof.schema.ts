import * as v from "valibot";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { optional, say, sayValue, secretSchema, strictMapping } from "../shared/schema.js";
import { cronParser } from "../shared/cron-rules.js";

/**
 * The job keys of issue 14: `drill` (restore drills, src/application/drill.ts) and `anomaly`
 * (thresholds of the anomaly checks, src/engine/anomaly.ts).
 */

function isCron(s: string): boolean {
  if (![5, 6].includes(s.trim().split(/\s+/).length)) return false;
  try {
    cronParser().parse(s, {}).next();
    return true;
  } catch {
    return false;
  }
}

/** A drill schedule: a cron expression or `weekly` (normalised to single spaces). */
const drillScheduleSchema = v.pipe(
  v.string(sayValue("validation-drill-schedule")),
  v.check((s) => s.trim() === "weekly" || isCron(s), sayValue("validation-drill-schedule")),
  v.transform((s) => s.trim().replace(/\s+/g, " ")),
);

/**
 * `drill: { schedule: weekly | "<cron>", identity: file:/run/secrets/drill-key }` — both optional
 * (no schedule: drills only when asked). `identity`: an age identity used by drills only (a secret:
 * stored encrypted, masked in exports; `"***"` keeps the stored one).
 */
export const drillSchema = strictMapping(
  {
    schedule: optional(drillScheduleSchema),
    identity: optional(
      v.pipe(
        secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }),
        v.check((s) => s === "***" || isSecretRef(s) || s.trim().startsWith("AGE-SECRET-KEY-1"), say("validation-drill-identity")),
      ),
    ),
  },
  { key: "validation-what-drill" },
);

const ratio = v.pipe(v.number(sayValue("validation-anomaly-number")), v.minValue(0, sayValue("validation-anomaly-number")));
const whole = v.pipe(v.number(sayValue("validation-anomaly-number")), v.integer(sayValue("validation-anomaly-number")), v.minValue(1, sayValue("validation-anomaly-number")));

/** `anomaly: { size_below: 0.5, size_above: 3, history: 7, tables_drop: 0.1, rows_drop: 0.5, min_rows: 10 }` — each optional. */
export const anomalySchema = strictMapping(
  {
    size_below: optional(ratio),
    size_above: optional(ratio),
    history: optional(whole),
    tables_drop: optional(ratio),
    rows_drop: optional(ratio),
    min_rows: optional(v.pipe(v.number(sayValue("validation-anomaly-number")), v.integer(sayValue("validation-anomaly-number")), v.minValue(0, sayValue("validation-anomaly-number")))),
  },
  { key: "validation-what-anomaly" },
);
