import * as v from "valibot";
import type { FluentBundle } from "@fluent/bundle";
import { fluentBundle, formatFrom } from "../i18n.js";
import type { Translatable, TranslatableParam } from "./translatable.js";

/**
 * The building blocks of every configuration schema (valibot): field schemas that speak in
 * locale keys (`locales/<lang>/validation.ftl`), and the one way a parse result becomes
 * issues. A field's message is `say(key, params)`: valibot carries it as a string, `issuesOf`
 * turns it back into a key and parameters, with the English text for logs and the CLI.
 */

/** One problem with a piece of configuration. `path` uses the YAML names: `jobs[1].schedule`, `port`. */
export interface Issue extends Translatable {
  path: string;
  /** English, for logs and the CLI; the bot translates `key` and `params`. */
  message: string;
  params?: Record<string, TranslatableParam>;
}

type Params = Record<string, TranslatableParam>;

/** A valibot message carrying a locale key and parameters (read back by `issuesOf`). */
export function say<I extends v.BaseIssue<unknown>>(key: string, params?: (issue: I) => Params): (issue: I) => string {
  return (issue) => JSON.stringify({ key, params: params?.(issue) });
}

/** A message for `addIssue` in raw checks and transforms (the same encoding as `say`). */
export function said(key: string, params?: Params): string {
  return JSON.stringify({ key, params });
}

/** `say` with the refused value as `$value`. */
export function sayValue<I extends v.BaseIssue<unknown>>(key: string): (issue: I) => string {
  return say<I>(key, (issue) => ({ value: show(issue.input) }));
}

/** A short, safe rendering of a (non-secret) value for messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** An issue from a key and its parameters, with its English text. */
export function issue(path: string, key: string, params?: Params): Issue {
  return { path, key, ...(params ? { params } : {}), message: english(key, params) };
}

/** The valibot issues of a failed parse as our issues, under `prefix`; unknown keys first (as they are read). */
export function issuesOf(found: readonly v.BaseIssue<unknown>[], prefix = ""): Issue[] {
  const out = found.map((i) => {
    const at = (i.path ?? []).map((p) => (typeof p.key === "number" ? `[${p.key}]` : String(p.key))).reduce(joinPath, "");
    let said: { key?: unknown; params?: Params } = {};
    try {
      said = JSON.parse(i.message) as typeof said;
    } catch {
      // a message valibot wrote itself: every schema here says its own, so this is a bug to see
    }
    const path = joinPath(prefix, at);
    return typeof said.key === "string" ? issue(path, said.key, said.params) : issue(path, "validation-invalid", { reason: i.message });
  });
  const seen = new Set<string>();
  const first = out.filter((i) => !seen.has(i.path) && seen.add(i.path));
  const unknownKey = (i: Issue) => (i.key === "validation-unknown-key" ? 0 : 1);
  return first.map((i, n) => [i, n] as const).sort((a, b) => unknownKey(a[0]) - unknownKey(b[0]) || a[1] - b[1]).map(([i]) => i);
}

/** Parses `input`; the first failing check of a field is its one issue. */
export function check<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  prefix = "",
): { ok: true; value: v.InferOutput<S> } | { ok: false; issues: Issue[]; /** What parsed, field by field (a refused field as given). */ partial: unknown } {
  const result = v.safeParse(schema, input);
  return result.success ? { ok: true, value: result.output } : { ok: false, issues: issuesOf(result.issues, prefix), partial: result.output };
}

/** The first issue's English text for a single value, or undefined when it passes (the `check*` helpers' form). */
export function problemOf(schema: v.GenericSchema, input: unknown): string | undefined {
  const r = check(schema, input);
  return r.ok ? undefined : r.issues[0]?.message;
}

// ---- English text, from locales/en/validation.ftl (the one wording) ----

let englishBundle: FluentBundle | undefined;

/** The English text of a key (nested translatable parameters resolved first). */
export function english(key: string, params?: Params): string {
  englishBundle ??= fluentBundle("en", ["validation.ftl"]);
  const flat: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params ?? {})) flat[name] = typeof value === "object" ? english(value.key, value.params) : value;
  return formatFrom([englishBundle], key, flat) ?? `{${key}}`;
}

// ---- field schemas shared by every shape ----

/** What an exported secret looks like; importing it back keeps the stored secret (the services decide). */
export const SECRET_MASK = "***";

const present = (value: unknown) => value !== undefined && value !== null && value !== "";

/** Refuses a missing value (undefined, null or "") with "is required", then applies `schema`. */
export function required<S extends v.GenericSchema>(schema: S, key = "validation-required") {
  return v.pipe(v.unknown(), v.check(present, say(key)), schema);
}

/** Like `required`, with its own key for a missing or empty value ("is required (the name of a source)"). */
export function requiredAs<S extends v.GenericSchema>(key: string, schema: S) {
  return v.pipe(v.optional(v.unknown(), () => undefined), v.check(present, say(key)), schema);
}

/** An optional key: absent or null is fine and becomes undefined; anything else must pass `schema`. */
export function optional<S extends v.GenericSchema>(schema: S) {
  return v.pipe(v.nullish(schema), v.transform((x): v.InferOutput<S> | undefined => x ?? undefined));
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** An entity name: 1-63 lowercase letters, digits, `.`, `_`, `-`. */
export const nameSchema = required(v.pipe(v.string(sayValue("validation-name-type")), v.regex(NAME_PATTERN, sayValue("validation-name"))));

/** Text without surrounding spaces. */
export const textSchema = required(v.pipe(v.string(sayValue("validation-text")), v.check((s) => s.trim() === s, say("validation-spaces"))));

export const hostSchema = v.pipe(textSchema, v.regex(/^[A-Za-z0-9._:%[\]-]+$/, sayValue("validation-host")));

export const portSchema = required(
  v.pipe(
    v.number(sayValue("validation-port")),
    v.integer(sayValue("validation-port")),
    v.minValue(1, sayValue("validation-port")),
    v.maxValue(65535, sayValue("validation-port")),
  ),
);

export const absolutePathSchema = v.pipe(
  textSchema,
  v.startsWith("/", sayValue("validation-absolute-path")),
  v.check((s) => !s.includes("\0"), say("validation-nul")),
);

/** What `docker volume create` accepts. */
export const volumeNameSchema = v.pipe(textSchema, v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, sayValue("validation-volume")));

/** A chat id (`-100…`, digits) or a public `@channelname`; numbers are accepted and normalised to text. */
export const chatIdSchema = required(
  v.union(
    [
      v.pipe(v.number(), v.safeInteger(sayValue("validation-chat-id-unsafe")), v.transform(String)),
      v.pipe(v.string(), v.check((s) => /^-?\d{1,20}$/.test(s) || /^@[A-Za-z][A-Za-z0-9_]{3,}$/.test(s), sayValue("validation-chat-id"))),
    ],
    sayValue("validation-chat-id-type"),
  ),
);

/** A forum topic id. */
export const threadIdSchema = v.pipe(
  v.number(sayValue("validation-thread-id")),
  v.safeInteger(sayValue("validation-thread-id")),
  v.minValue(1, sayValue("validation-thread-id")),
);

export const booleanSchema = v.boolean(sayValue("validation-boolean"));

/** One of `options`, reported as "must be one of …". */
export function oneOf<T extends string>(options: readonly T[]) {
  return required(v.picklist(options as T[], say("validation-one-of", () => ({ allowed: options.join(", ") }))));
}

/**
 * A mapping with exactly these keys: every other key is reported as unknown (naming what the
 * mapping is, a translatable), a missing required key as required; the output has only these keys.
 */
export function strictMapping<E extends v.ObjectEntries>(entries: E, what: Translatable, typeKey = "validation-mapping") {
  const allowed = Object.keys(entries);
  return v.pipe(
    v.looseObject(entries, (i) =>
      i.expected?.startsWith('"') ? JSON.stringify({ key: "validation-required" }) : JSON.stringify({ key: typeKey, params: { value: show(i.input) } }),
    ),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!isPlainObject(dataset.value)) return;
      for (const key of Object.keys(dataset.value)) {
        if (allowed.includes(key)) continue;
        addIssue({
          message: JSON.stringify({ key: "validation-unknown-key", params: { what, allowed: allowed.join(", ") } }),
          path: [{ type: "object", origin: "key", input: dataset.value, key, value: dataset.value[key] }],
        });
      }
    }),
    v.transform((o) => Object.fromEntries(allowed.filter((k) => k in o).map((k) => [k, o[k]])) as v.InferOutput<v.ObjectSchema<E, undefined>>),
  );
}

/** The keys of a mapping schema (`strictMapping`, possibly inside pipes), in order. */
export function mappingKeys(schema: unknown): string[] {
  let node = schema as { entries?: v.ObjectEntries; pipe?: readonly unknown[] } | undefined;
  while (node && !node.entries && node.pipe) node = node.pipe[0] as typeof node;
  return node?.entries ? Object.keys(node.entries) : [];
}

/** How a secret reference is told apart (passed in: the rules live with the secret box). */
export interface SecretRefRules {
  isRef(value: string): boolean;
  /** The program's own variable an `env:` reference names, or null. */
  protectedRef(value: string): string | null;
}

/**
 * A secret given literally or as `env:NAME` / `file:/path`. Never echoes the value. Something
 * that starts like a reference but is not a valid one is refused: used literally it would
 * silently become the secret itself.
 */
export function secretSchema(rules: SecretRefRules, options: { allowEmpty?: boolean } = {}) {
  return v.pipe(
    v.unknown(),
    v.check((x) => x !== undefined && x !== null, say("validation-required")),
    v.string(say("validation-secret-type")),
    v.check((s) => options.allowEmpty || s !== "", say("validation-secret-empty")),
    v.check((s) => !((s.startsWith("env:") || s.startsWith("file:")) && !rules.isRef(s)), say("validation-secret-ref")),
    v.rawCheck<string>(({ dataset, addIssue }) => {
      const own = dataset.typed ? rules.protectedRef(dataset.value) : null;
      if (own) addIssue({ message: JSON.stringify({ key: "validation-secret-protected", params: { name: own } }) });
    }),
  );
}

/** A kind's configuration: the YAML keys it takes besides `name` and `kind` (their order is the export order). */
export interface KindSchema<K extends string> {
  kind: K;
  settings: v.ObjectEntries;
  /** The key of the one secret this kind takes, if any (stored encrypted, masked in exports; absent = none). */
  secret?: string;
}
