import * as v from "valibot";
import { check, issue, isPlainObject, nameSchema, oneOf, strictMapping, type Issue, type KindSchema } from "../shared/schema.js";

/**
 * Sources and destinations share one shape: `name`, `kind`, and the keys that kind's schema
 * declares (its registry entry). The composition reads the registry, so a new kind needs no
 * edit here.
 */

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every key any kind of the registry takes, typed as that kind parses it. */
export type SettingsOf<R extends Record<string, { settings: v.ObjectEntries }>> = UnionToIntersection<
  { [K in keyof R]: v.InferOutput<v.ObjectSchema<R[K]["settings"], undefined>> }[keyof R]
>;

export interface Kinded<K extends string> {
  name: string;
  kind: K;
  /** The kind's keys as parsed (the secret included, when given). */
  settings: Record<string, unknown>;
}

/** The parser of one entity type over its registry of kinds. */
export function kindedParser<K extends string>(kinds: readonly K[], registry: Readonly<Record<K, KindSchema<K>>>, entity: "source" | "destination") {
  const allKeys = [...new Set(kinds.flatMap((k) => Object.keys(registry[k].settings)))];
  const anyKind = strictMapping(
    { name: nameSchema, kind: oneOf(kinds), ...Object.fromEntries(allKeys.map((k) => [k, v.optional(v.unknown())])) },
    { key: `validation-what-${entity}` },
  );
  const byKind = new Map(
    kinds.map((k) => [
      k,
      strictMapping({ name: nameSchema, kind: v.unknown(), ...registry[k].settings }, { key: `validation-what-${entity}-kind`, params: { kind: k } }),
    ]),
  );
  /** The keys of `kind` besides name and kind, in export order. */
  const keysOf = (kind: K): readonly string[] => Object.keys(registry[kind].settings);
  const parse = (input: unknown): { ok: true; value: Kinded<K> } | { ok: false; issues: Issue[] } => {
    if (!isPlainObject(input)) return { ok: false, issues: [issue("", `validation-${entity}-type`)] };
    const kind = input.kind as K;
    if (!kinds.includes(kind)) {
      const head = check(anyKind, input);
      return head.ok ? { ok: false, issues: [issue("kind", "validation-required")] } : head;
    }
    const parsed = check(byKind.get(kind)!, input);
    if (!parsed.ok) return parsed;
    const { name, kind: _, ...settings } = parsed.value as Record<string, unknown>;
    for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
    return { ok: true, value: { name: name as string, kind, settings } };
  };
  return { kinds, keysOf, parse };
}
