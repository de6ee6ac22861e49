import type { SecretBox } from "../crypto/secret-box.js";
import { isSecretRef, resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import type { SourceRow } from "../db/schema.js";
import type { JobsRepo } from "../repos/jobs.repo.js";
import type { SourcesRepo } from "../repos/sources.repo.js";
import { SOURCE_KINDS, type SourceConfig, type SourceKind } from "../sources/port.js";
import type { SourceKindSchema } from "../sources/kind-schema.js";
import { SOURCE_SCHEMAS } from "../sources/registry.js";
import { InUseError, NotFoundError } from "./errors.js";
import { kindedParser, type SettingsOf } from "./kinded.js";
import { findByRef, Issues, sameJson, SECRET_MASK } from "./validation.js";

/**
 * A source as users write it (YAML, CLI, bot): `name`, `kind` and the keys of that kind's schema
 * (beside its driver, in `SOURCE_SCHEMAS`). A `password` is a literal, an `env:NAME` /
 * `file:/path` reference, or `"***"` on update meaning "keep the stored password".
 */
export type SourceSpec = { name: string; kind: SourceKind } & Partial<SettingsOf<typeof SOURCE_SCHEMAS>>;

/** A stored source; `password` is masked (`"***"`) unless asked for, references are shown as they are. */
export type SourceView = SourceSpec & { id: number };

export interface ResolvedSource {
  id: number;
  name: string;
  config: SourceConfig;
}

/** A validated source ready to be written. `password`: undefined keeps what is stored, null means none. */
export interface SourceDraft {
  name: string;
  kind: SourceKind;
  settings: Record<string, unknown>;
  password: string | null | undefined;
}

/** Sources' shape over the registry of kinds: a new kind registers its schema and needs nothing here. */
const schemaOf = (kind: SourceKind): SourceKindSchema => SOURCE_SCHEMAS[kind];

export const sourceShape = kindedParser<SourceKind>(SOURCE_KINDS, SOURCE_SCHEMAS, "source");

export interface SourcesServiceDeps {
  repo: SourcesRepo;
  jobs: JobsRepo;
  box: SecretBox;
  /** Where `env:` references are looked up; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export class SourcesService {
  constructor(private readonly deps: SourcesServiceDeps) {}

  list(options: { withSecrets?: boolean } = {}): SourceView[] {
    return this.deps.repo.list().map((row) => this.toView(row, options.withSecrets ?? false));
  }

  /** @throws NotFoundError */
  get(ref: string | number, options: { withSecrets?: boolean } = {}): SourceView {
    return this.toView(this.requireRow(ref), options.withSecrets ?? false);
  }

  getByName(name: string, options: { withSecrets?: boolean } = {}): SourceView | null {
    const row = this.deps.repo.findByName(name);
    return row ? this.toView(row, options.withSecrets ?? false) : null;
  }

  /** The row with exactly this name (no id fallback), as the importer's upsert needs. */
  rowByName(name: string): SourceRow | null {
    return this.deps.repo.findByName(name);
  }

  /** The row for a name, or for a numeric id (a number, or digits when no source has that name). */
  findRow(ref: string | number): SourceRow | null {
    return findByRef(this.deps.repo, ref);
  }

  /** @throws ValidationError listing every problem */
  create(spec: SourceSpec): SourceView {
    const issues = new Issues();
    const draft = this.prepare(spec, null, issues);
    if (draft && this.deps.repo.findByName(draft.name)) issues.add("name", "validation-name-taken-source", { name: draft.name });
    issues.throwIfAny();
    return this.toView(this.write(draft!, null), false);
  }

  /**
   * Changes some settings. Omitted keys keep their value (the password included); changing
   * `kind` drops the settings of the old kind, so give the new kind's settings with it.
   * @throws NotFoundError, ValidationError
   */
  update(ref: string | number, patch: Partial<SourceSpec>): SourceView {
    const row = this.requireRow(ref);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const base: Record<string, unknown> =
      patch.kind !== undefined && patch.kind !== row.kind
        ? { name: row.name }
        : { ...this.toSpec(row, "keep") };
    const merged = { ...base, ...defined };
    const issues = new Issues();
    const draft = this.prepare(merged, row, issues);
    if (draft && draft.name !== row.name && this.deps.repo.findByName(draft.name)) {
      issues.add("name", "validation-name-taken-source", { name: draft.name });
    }
    issues.throwIfAny();
    return this.toView(this.write(draft!, row), false);
  }

  /**
   * Replaces every setting of a stored source with `spec` (the bot's edit dialog): a key left
   * out is removed, `password: "***"` keeps the stored one. The id stays, so the jobs using the
   * source follow a rename and their next run uses the new settings.
   * @throws NotFoundError, ValidationError
   */
  replace(ref: string | number, spec: SourceSpec): SourceView {
    const row = this.requireRow(ref);
    const issues = new Issues();
    const draft = this.prepare(spec, row, issues);
    if (draft && draft.name !== row.name && this.deps.repo.findByName(draft.name)) {
      issues.add("name", "validation-name-taken-source", { name: draft.name });
    }
    issues.throwIfAny();
    return this.toView(this.write(draft!, row), false);
  }

  /** @throws NotFoundError, InUseError naming the jobs that use the source */
  delete(ref: string | number): void {
    const row = this.requireRow(ref);
    const users = this.deps.jobs.listBySource(row.id);
    if (users.length > 0) throw new InUseError("source", row.name, users.map((j) => j.name));
    this.deps.repo.delete(row.id);
  }

  /**
   * The source with its password decrypted and resolved (for dumps and `restore --to`).
   * @throws NotFoundError, SecretRefError (naming the reference, never a value)
   */
  async resolve(ref: string | number): Promise<ResolvedSource> {
    const row = this.requireRow(ref);
    let password = "";
    if (schemaOf(row.kind).secret && row.passwordEnc != null) {
      try {
        password = await resolveSecret(this.deps.box.decrypt(row.passwordEnc), this.deps.env ?? process.env);
      } catch (err) {
        throw new SecretRefError(`source "${row.name}" password: ${(err as Error).message}`, { cause: err });
      }
    }
    const config = schemaOf(row.kind).toConfig(row.settings, password);
    return { id: row.id, name: row.name, config };
  }

  /**
   * The config a draft would have once written, its password resolved (for a connection test
   * before saving): a kept password is the stored one, references are read from `env`.
   * @throws SecretRefError (naming the reference, never a value)
   */
  async configOf(draft: SourceDraft, existing: SourceRow | null, env: NodeJS.ProcessEnv = this.deps.env ?? process.env): Promise<SourceConfig> {
    const stored = draft.password === undefined ? this.deps.box.decryptOptional(existing?.passwordEnc) : draft.password;
    let password = "";
    if (schemaOf(draft.kind).secret && stored) {
      try {
        password = await resolveSecret(stored, env);
      } catch (err) {
        throw new SecretRefError(`source "${draft.name}" password: ${(err as Error).message}`, { cause: err });
      }
    }
    return schemaOf(draft.kind).toConfig(draft.settings, password);
  }

  /**
   * Validates user input (any shape) against `existing` (the row it would replace, if any).
   * Does not check that the name is free. Returns null when there were issues.
   */
  prepare(input: unknown, existing: SourceRow | null, issues: Issues): SourceDraft | null {
    const parsed = sourceShape.parse(input);
    if (!parsed.ok) {
      issues.addAll(parsed.issues);
      return null;
    }
    const { name, kind, settings } = parsed.value;
    const secretKey = schemaOf(kind).secret;
    let password: string | null | undefined = null;
    if (secretKey) {
      const given = settings[secretKey] as string | undefined;
      delete settings[secretKey];
      if (given === SECRET_MASK) {
        if (existing?.passwordEnc == null) {
          issues.add(secretKey, "validation-mask-nothing-stored", { key: secretKey });
          return null;
        }
        password = undefined;
      } else if (given !== undefined) password = given;
    }
    return { name, kind, settings, password };
  }

  /** True when writing `draft` over `row` would change nothing. */
  isUnchanged(draft: SourceDraft, row: SourceRow): boolean {
    if (draft.name !== row.name || draft.kind !== row.kind || !sameJson(draft.settings, row.settings)) return false;
    if (draft.password === undefined) return true;
    return draft.password === this.deps.box.decryptOptional(row.passwordEnc);
  }

  /** Inserts (existing = null) or replaces a validated draft. Secrets are stored only encrypted. */
  write(draft: SourceDraft, existing: SourceRow | null): SourceRow {
    const values = {
      name: draft.name,
      kind: draft.kind,
      settings: draft.settings,
      ...(draft.password === undefined ? {} : { passwordEnc: this.deps.box.encryptOptional(draft.password) }),
    };
    if (!existing) return this.deps.repo.insert({ passwordEnc: null, ...values });
    const row = this.deps.repo.update(existing.id, values);
    if (!row) throw new NotFoundError("source", existing.name);
    return row;
  }

  /**
   * The spec of a stored source. Passwords: `"reveal"` shows them, `"mask"` shows literal
   * ones as `"***"` (references and empty passwords are not secrets), `"keep"` gives `"***"`
   * for any stored password (so that writing the spec back keeps it).
   */
  toSpec(row: SourceRow, passwords: "reveal" | "mask" | "keep"): SourceSpec {
    const spec: Record<string, unknown> = { name: row.name, kind: row.kind };
    const secretKey = schemaOf(row.kind).secret;
    for (const key of sourceShape.keysOf(row.kind)) {
      if (key === secretKey) {
        if (row.passwordEnc == null) continue;
        if (passwords === "keep") {
          spec[key] = SECRET_MASK;
          continue;
        }
        const plain = this.deps.box.decrypt(row.passwordEnc);
        spec[key] = passwords === "reveal" || plain === "" || isSecretRef(plain) ? plain : SECRET_MASK;
      } else if (row.settings[key] !== undefined) {
        spec[key] = row.settings[key];
      }
    }
    return spec as SourceSpec;
  }

  private toView(row: SourceRow, withSecrets: boolean): SourceView {
    return { id: row.id, ...this.toSpec(row, withSecrets ? "reveal" : "mask") };
  }

  private requireRow(ref: string | number): SourceRow {
    const row = this.findRow(ref);
    if (!row) throw new NotFoundError("source", ref);
    return row;
  }
}
