import { describe, expect, it } from "vitest";
import { dateFormat, numberFormat } from "./format.js";

describe("dateFormat / numberFormat", () => {
  const at = new Date("2026-12-06T01:30:00Z");

  it("formats as a new Intl formatter would, and makes one per locale and options", () => {
    const options = { timeZone: "Europe/Moscow", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" } as const;
    expect(dateFormat("ru-RU", options).format(at)).toBe(new Intl.DateTimeFormat("ru-RU", options).format(at));
    expect(dateFormat("ru-RU", { ...options })).toBe(dateFormat("ru-RU", options));
    expect(dateFormat("en-GB", options)).not.toBe(dateFormat("ru-RU", options));
    expect(dateFormat("ru-RU", { ...options, timeZone: "UTC" }).format(at)).not.toBe(dateFormat("ru-RU", options).format(at));
    expect(numberFormat("ru", { minimumFractionDigits: 1 }).format(1.5)).toBe("1,5");
    expect(numberFormat("ru", { minimumFractionDigits: 1 })).toBe(numberFormat("ru", { minimumFractionDigits: 1 }));
    // The same options for a date and for a number are two formatters.
    expect(numberFormat("en", {}) as unknown).not.toBe(dateFormat("en", {}));
  });

  it("throws for an unknown time zone every time (a failure is not kept)", () => {
    expect(() => dateFormat("en", { timeZone: "Mars/Olympus" })).toThrow(RangeError);
    expect(() => dateFormat("en", { timeZone: "Mars/Olympus" })).toThrow(RangeError);
  });
});
