import { describe, expect, it } from "vitest";
import { detectAnomalies, thresholdsOf } from "./anomaly.js";

const rows = (tables: Record<string, number>) => ({ kind: "rows" as const, tables });
const run = (rawSize: number, tables?: Record<string, number>) => ({ rawSize, inventory: tables ? rows(tables) : null });

describe("anomaly checks of a successful run", () => {
  it("size: below half or above three times the median of the last 7 runs (older runs ignored)", () => {
    const history = [run(1000), run(1100), run(900), run(1000), run(1050), run(950), run(1000), run(1)];
    expect(detectAnomalies(run(600), history)).toEqual([]);
    expect(detectAnomalies(run(499), history).map((a) => a.key)).toEqual(["anomaly-size-low"]);
    expect(detectAnomalies(run(3001), history).map((a) => a.key)).toEqual(["anomaly-size-high"]);
    expect(detectAnomalies(run(2900), history)).toEqual([]);
    // The first run has nothing to compare with.
    expect(detectAnomalies(run(5), [])).toEqual([]);
  });

  it("tables: zero tables, a table gone, rows dropped — each named; thresholds per job", () => {
    const before = [run(1000, { a: 100, b: 50, c: 5 })];
    expect(detectAnomalies(run(1000, {}), before).map((a) => a.key)).toEqual(["anomaly-zero-tables", "anomaly-tables-gone"]);
    expect(detectAnomalies(run(1000, { a: 100, c: 5 }), before)).toEqual([{ key: "anomaly-tables-gone", params: { before: 3, now: 2, tables: "b" } }]);
    expect(detectAnomalies(run(1000, { a: 49, b: 50, c: 0 }), before)).toEqual([{ key: "anomaly-rows-drop", params: { tables: "a (100 → 49)", count: 1 } }]);
    expect(detectAnomalies(run(1000, { a: 50, b: 50, c: 0 }), before)).toEqual([]);
    expect(detectAnomalies(run(1000, { a: 100, b: 20, c: 5 }), before, { min_rows: 60 })).toEqual([]);
    expect(detectAnomalies(run(1000, { a: 100, b: 20, c: 5 }), before, { rows_drop: 0.3 })).toHaveLength(0);
    expect(detectAnomalies(run(1000, { a: 100, b: 20, c: 5 }), before, { rows_drop: 0.5 })).toHaveLength(1);
  });

  it("stored thresholds: only known numeric keys are taken", () => {
    expect(thresholdsOf({ rows_drop: 0.2, bogus: 1, min_rows: "3" })).toEqual({ rows_drop: 0.2 });
  });
});
