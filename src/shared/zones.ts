/**
 * Time zones as people name them: an IANA name in any letter case ("europe/berlin"), a city
 * ("Berlin", "new york", "Москва"), or a common abbreviation ("MSK", "CET", "PST"). Each is
 * read as the IANA zone the scheduler stores; a name that fits no zone, or several, gets
 * suggestions ("did you mean …").
 *
 * Abbreviations name the zone most people mean by them, with its daylight-saving rules, not the
 * fixed offset some of them are in the IANA database as well (IANA's "EST" is UTC−5 all year):
 * MSK → Europe/Moscow, CET/CEST → Europe/Berlin, EET/EEST → Europe/Kyiv, WET/WEST → Europe/Lisbon,
 * BST → Europe/London, EST/EDT → America/New_York, CST/CDT → America/Chicago, MST/MDT →
 * America/Denver, PST/PDT → America/Los_Angeles, IST → Asia/Kolkata, JST → Asia/Tokyo;
 * GMT and Z are UTC.
 */

export type ZoneReading = { zone: string } | { suggestions: string[] };

/** Names and abbreviations that are not the last part of their zone's IANA name (lower case, single spaces). */
const ALIASES: Record<string, string> = {
  utc: "UTC",
  gmt: "UTC",
  z: "UTC",
  msk: "Europe/Moscow",
  cet: "Europe/Berlin",
  cest: "Europe/Berlin",
  eet: "Europe/Kyiv",
  eest: "Europe/Kyiv",
  wet: "Europe/Lisbon",
  west: "Europe/Lisbon",
  bst: "Europe/London",
  est: "America/New_York",
  edt: "America/New_York",
  cst: "America/Chicago",
  cdt: "America/Chicago",
  mst: "America/Denver",
  mdt: "America/Denver",
  pst: "America/Los_Angeles",
  pdt: "America/Los_Angeles",
  ist: "Asia/Kolkata",
  jst: "Asia/Tokyo",
  kyiv: "Europe/Kyiv",
  kiev: "Europe/Kyiv",
  kolkata: "Asia/Kolkata",
  "st petersburg": "Europe/Moscow",
  "saint petersburg": "Europe/Moscow",
  "sankt-peterburg": "Europe/Moscow",
  // Russian names of the Russian zones' main cities, and of a few neighbours' capitals
  москва: "Europe/Moscow",
  мск: "Europe/Moscow",
  "санкт-петербург": "Europe/Moscow",
  петербург: "Europe/Moscow",
  спб: "Europe/Moscow",
  "нижний новгород": "Europe/Moscow",
  казань: "Europe/Moscow",
  "ростов-на-дону": "Europe/Moscow",
  краснодар: "Europe/Moscow",
  сочи: "Europe/Moscow",
  воронеж: "Europe/Moscow",
  калининград: "Europe/Kaliningrad",
  самара: "Europe/Samara",
  ижевск: "Europe/Samara",
  волгоград: "Europe/Volgograd",
  саратов: "Europe/Saratov",
  ульяновск: "Europe/Ulyanovsk",
  астрахань: "Europe/Astrakhan",
  екатеринбург: "Asia/Yekaterinburg",
  челябинск: "Asia/Yekaterinburg",
  пермь: "Asia/Yekaterinburg",
  уфа: "Asia/Yekaterinburg",
  тюмень: "Asia/Yekaterinburg",
  омск: "Asia/Omsk",
  новосибирск: "Asia/Novosibirsk",
  барнаул: "Asia/Barnaul",
  томск: "Asia/Tomsk",
  новокузнецк: "Asia/Novokuznetsk",
  кемерово: "Asia/Novokuznetsk",
  красноярск: "Asia/Krasnoyarsk",
  иркутск: "Asia/Irkutsk",
  чита: "Asia/Chita",
  якутск: "Asia/Yakutsk",
  владивосток: "Asia/Vladivostok",
  хабаровск: "Asia/Vladivostok",
  магадан: "Asia/Magadan",
  "южно-сахалинск": "Asia/Sakhalin",
  "петропавловск-камчатский": "Asia/Kamchatka",
  камчатка: "Asia/Kamchatka",
  анадырь: "Asia/Anadyr",
  киев: "Europe/Kyiv",
  київ: "Europe/Kyiv",
  минск: "Europe/Minsk",
  алматы: "Asia/Almaty",
  астана: "Asia/Almaty",
  ташкент: "Asia/Tashkent",
  тбилиси: "Asia/Tbilisi",
  ереван: "Asia/Yerevan",
  баку: "Asia/Baku",
  лондон: "Europe/London",
  берлин: "Europe/Berlin",
  "нью-йорк": "America/New_York",
};

/** "New York", "new_york", "  NEW   york " → "new york". */
function key(name: string): string {
  return name.trim().toLowerCase().replace(/[_\s]+/g, " ");
}

/** The zone's canonical IANA name as this runtime spells it ("Europe/Kyiv" may be "Europe/Kiev"), or undefined. */
export function canonicalZone(name: string): string | undefined {
  if (name.trim() === "") return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name.trim() }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

let cities: Map<string, string[]> | undefined;

/** Every zone by the last part of its name ("new york" → America/New_York). */
function zonesByCity(): Map<string, string[]> {
  if (!cities) {
    cities = new Map();
    for (const zone of Intl.supportedValuesOf("timeZone")) {
      const city = key(zone.split("/").pop()!);
      cities.set(city, [...(cities.get(city) ?? []), zone]);
    }
  }
  return cities;
}

/** The IANA zone `name` means, or up to `max` suggestions (none when nothing is close). */
export function readZone(name: string, max = 3): ZoneReading {
  const k = key(name);
  const alias = ALIASES[k];
  if (alias) return { zone: canonicalZone(alias) ?? alias };
  // An IANA name or link in any letter case ("Japan"); "EST" and friends are aliases above, before this.
  const exact = canonicalZone(name);
  if (exact) return { zone: exact };
  const byCity = zonesByCity().get(k);
  if (byCity?.length === 1) return { zone: byCity[0]! };
  if (byCity && byCity.length > 1) return { suggestions: byCity.slice(0, max) };
  return { suggestions: suggest(k, max) };
}

/** Zones whose city or alias is within a small edit distance of `k`, or starts with it; nearest first. */
function suggest(k: string, max: number): string[] {
  if (k.length < 2) return [];
  const scored: Array<{ zone: string; score: number }> = [];
  const consider = (name: string, zone: string) => {
    const last = key(k.split("/").pop()!);
    const d = distance(last, name);
    const limit = last.length <= 4 ? 1 : 2;
    if (d <= limit) scored.push({ zone, score: d });
    else if (last.length >= 3 && name.startsWith(last)) scored.push({ zone, score: limit + 1 });
  };
  for (const [city, zones] of zonesByCity()) for (const zone of zones) consider(city, zone);
  for (const [alias, zone] of Object.entries(ALIASES)) consider(alias, canonicalZone(zone) ?? zone);
  scored.sort((a, b) => a.score - b.score || a.zone.localeCompare(b.zone));
  return [...new Set(scored.map((s) => s.zone))].slice(0, max);
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
