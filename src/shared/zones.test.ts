import { describe, expect, it } from "vitest";
import { readTimezone } from "../bot/schedule-step.js";
import { createI18n, translator } from "../i18n.js";
import { checkTimezone, parseTimezone } from "../services/validation.js";
import { canonicalZone, readZone } from "./zones.js";

const zone = (name: string) => {
  const r = readZone(name);
  return "zone" in r ? r.zone : `suggestions: ${r.suggestions.join(", ")}`;
};
/** This runtime's spelling of Kyiv (older ICU data: Europe/Kiev). */
const KYIV = canonicalZone("Europe/Kyiv");

describe("time zones as people name them", () => {
  it("reads cities, abbreviations and IANA names in any letter case", () => {
    for (const name of ["Moscow", "moscow", "MSK", "msk", "Europe/Moscow", "europe/moscow", "Москва", "Санкт-Петербург", "St Petersburg"]) {
      expect(zone(name), name).toBe("Europe/Moscow");
    }
    expect(zone("Berlin")).toBe("Europe/Berlin");
    expect(zone("CET")).toBe("Europe/Berlin");
    expect(zone("London")).toBe("Europe/London");
    expect(zone("Kyiv")).toBe(KYIV);
    expect(zone("Kiev")).toBe(KYIV);
    expect(zone("Київ")).toBe(KYIV);
    expect(zone("New York")).toBe("America/New_York");
    expect(zone("new_york")).toBe("America/New_York");
    expect(zone("EST")).toBe("America/New_York"); // not IANA's fixed UTC−5 "EST"
    expect(zone("PST")).toBe("America/Los_Angeles");
    expect(zone("UTC")).toBe("UTC");
    expect(zone("GMT")).toBe("UTC");
    expect(zone("sao paulo")).toBe("America/Sao_Paulo");
  });

  it("knows the main Russian zones by their Russian city names", () => {
    expect(zone("Екатеринбург")).toBe("Asia/Yekaterinburg");
    expect(zone("Новосибирск")).toBe("Asia/Novosibirsk");
    expect(zone("владивосток")).toBe("Asia/Vladivostok");
    expect(zone("Калининград")).toBe("Europe/Kaliningrad");
    expect(zone("Самара")).toBe("Europe/Samara");
    expect(zone("Красноярск")).toBe("Asia/Krasnoyarsk");
    expect(zone("Иркутск")).toBe("Asia/Irkutsk");
  });

  it("suggests the nearest zones for a misspelt name, nothing for nonsense", () => {
    expect(readZone("Mosco")).toEqual({ suggestions: expect.arrayContaining(["Europe/Moscow"]) });
    expect(readZone("Berlinn")).toEqual({ suggestions: ["Europe/Berlin"] });
    expect(readZone("Europe/Berln")).toEqual({ suggestions: ["Europe/Berlin"] });
    expect(readZone("Mars/Olympus")).toEqual({ suggestions: [] });
    expect(readZone("")).toEqual({ suggestions: [] });
  });

  it("YAML and the CLI read the same names (parseTimezone); checkTimezone stays exact", () => {
    expect(parseTimezone("MSK")).toEqual({ value: "Europe/Moscow" });
    expect(parseTimezone("Berlinn")).toEqual({ error: '"Berlinn" is not a known time zone. Did you mean Europe/Berlin?' });
    expect(parseTimezone("Mars/Olympus")).toEqual({ error: expect.stringMatching(/not a known IANA time zone/) });
    expect(checkTimezone("europe/berlin")).toBeUndefined();
    expect(checkTimezone("Moscow")).toMatch(/not a known IANA time zone/);
  });

  it("the bot's reading says the suggestions in the admin's language", () => {
    const translate = translator(createI18n());
    expect(readTimezone(" Москва ", { locale: "ru", translate })).toEqual({ ok: "Europe/Moscow" });
    expect(readTimezone("Mosko", { locale: "ru", translate })).toEqual({ error: expect.stringMatching(/неизвестный часовой пояс.*Europe\/Moscow/) });
    expect(readTimezone("Berlinn", { locale: "en", translate })).toEqual({ error: expect.stringMatching(/Did you mean Europe\/Berlin\?/) });
  });
});
