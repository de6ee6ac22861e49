import { describe, expect, it } from "vitest";
import type { RunResult } from "../engine/backup-runner.js";
import { reasonKeyOf } from "./alert-episodes.js";

const failed = (over: Partial<RunResult>): RunResult => ({
  runId: 1, status: "failed", job: "app", fileName: "", rawSize: 0, payloadSize: 0, sha256: null, parts: 0, durationMs: 0, verified: false, error: null, ...over,
});

describe("the reason key that tells a repeat from a new failure", () => {
  const refused = { key: "source-error-connect", params: { server: "127.0.0.1:5432", reason: { key: "source-reason-refused" } } };

  it("is the same for the same reason with other numbers (sizes, object ids, timestamped names)", () => {
    const a = failed({ errorKey: "run-failed-dump", errorParams: { reason: "permission denied for large object 16402" }, error: "x" });
    const b = failed({ runId: 2, errorKey: "run-failed-dump", errorParams: { reason: "permission denied for large object 16433" }, error: "y" });
    expect(reasonKeyOf(a)).toBe(reasonKeyOf(b));
    expect(reasonKeyOf(failed({ error: "spool full at app_20261205-112735.001" }))).toBe(reasonKeyOf(failed({ error: "spool full at app_20261206-030000.001" })));
  });

  it("differs for another nested reason, another status, or another text", () => {
    const connect = failed({ errorKey: "run-failed-dump", errorParams: { reason: refused } });
    const timeout = failed({ errorKey: "run-failed-dump", errorParams: { reason: { ...refused, params: { ...refused.params, reason: { key: "source-reason-timeout" } } } } });
    expect(reasonKeyOf(connect)).not.toBe(reasonKeyOf(timeout));
    expect(reasonKeyOf(connect)).not.toBe(reasonKeyOf({ ...connect, status: "interrupted" }));
    expect(reasonKeyOf(failed({ errorKey: "run-failed-dump", errorParams: { reason: "permission denied for table t" } }))).not.toBe(
      reasonKeyOf(failed({ errorKey: "run-failed-dump", errorParams: { reason: "connection refused" } })),
    );
  });
});
