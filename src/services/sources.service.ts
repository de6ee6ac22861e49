import type { SecretBox } from "../crypto/secret-box.js";
import { isSecretRef, resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import type { SourceRow } from "../db/schema.js";
import type { JobsRepo } from "../repos/jobs.repo.js";
import type { SourcesRepo } from "../repos/sources.repo.js";
import { SOURCE_KINDS, type SourceConfig, type SourceKind } from "../sources/port.js";
import { InUseError, NotFoundError } from "./errors.js";
import {
  findByRef,
  checkAbsolutePath,
  checkHost,
  checkKnownKeys,
  checkName,
  checkOneOf,
  checkPort,
  checkRequiredString,
  checkSecret,
  checkVolumeName,
  isPlainObject,
  Issues,
  sameJson,
  SECRET_MASK,
} from "./validation.js";

/**
 * A source as users write it (YAML, CLI, bot): the keys are the YAML keys.
 * `password` is a literal, an `env:NAME` / `file:/path` reference, or `"***"` on update
 * meaning "keep the stored password".
 */
export interface SourceSpec {
  name: string;
  kind: SourceKind;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  path?: string;
  volume?: string;
}

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

const DB_KEYS = ["host", "port", "database", "user", "password"] as const;
/** Keys each kind accepts besides `name` and `kind`, in export order. */
export const SOURCE_KEYS: Readonly<Record<SourceKind, readonly string[]>> = {
  postgres: DB_KEYS,
  mysql: DB_KEYS,
  sqlite: ["path"],
  volume: ["volume"],
  directory: ["path"],
};

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
    if (draft && this.deps.repo.findByName(draft.name)) issues.add("name", `a source named "${draft.name}" already exists`);
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
      issues.add("name", `a source named "${draft.name}" already exists`);
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
    const s = row.settings;
    let config: SourceConfig;
    switch (row.kind) {
      case "postgres":
      case "mysql": {
        let password = "";
        if (row.passwordEnc != null) {
          try {
            password = await resolveSecret(this.deps.box.decrypt(row.passwordEnc), this.deps.env ?? process.env);
          } catch (err) {
            throw new SecretRefError(`source "${row.name}" password: ${(err as Error).message}`, { cause: err });
          }
        }
        config = {
          kind: row.kind,
          host: String(s.host),
          port: Number(s.port),
          database: String(s.database),
          user: String(s.user),
          password,
        };
        break;
      }
      case "sqlite":
      case "directory":
        config = { kind: row.kind, path: String(s.path) };
        break;
      case "volume":
        config = { kind: "volume", volume: String(s.volume) };
        break;
    }
    return { id: row.id, name: row.name, config };
  }

  /**
   * Validates user input (any shape) against `existing` (the row it would replace, if any).
   * Does not check that the name is free. Returns null when there were issues.
   */
  prepare(input: unknown, existing: SourceRow | null, issues: Issues): SourceDraft | null {
    const before = issues.items.length;
    if (!isPlainObject(input)) {
      issues.add("", "must be a mapping with name, kind and the settings of that kind");
      return null;
    }
    const nameErr = checkName(input.name);
    if (nameErr) issues.add("name", nameErr);
    const kindErr = checkOneOf(input.kind, SOURCE_KINDS);
    if (kindErr) {
      issues.add("kind", kindErr);
      checkKnownKeys(input, ["name", "kind", ...new Set(Object.values(SOURCE_KEYS).flat())], issues, "a source");
      return null;
    }
    const kind = input.kind as SourceKind;
    checkKnownKeys(input, ["name", "kind", ...SOURCE_KEYS[kind]], issues, `${kind} sources`);
    const settings: Record<string, unknown> = {};
    let password: string | null | undefined = null;
    const need = (key: string, check: (v: unknown) => string | undefined) => {
      const err = check(input[key]);
      if (err) issues.add(key, err);
      else settings[key] = input[key];
    };
    switch (kind) {
      case "postgres":
      case "mysql": {
        need("host", checkHost);
        need("port", checkPort);
        need("database", checkRequiredString);
        need("user", checkRequiredString);
        const pw = input.password;
        if (pw === SECRET_MASK) {
          if (existing?.passwordEnc != null) password = undefined;
          else issues.add("password", `"${SECRET_MASK}" is the export mask and there is no stored password to keep; give the password or an env:/file: reference`);
        } else if (pw !== undefined && pw !== null) {
          const err = checkSecret(pw, { allowEmpty: true });
          if (err) issues.add("password", err);
          else password = pw as string;
        }
        break;
      }
      case "sqlite":
      case "directory":
        need("path", checkAbsolutePath);
        break;
      case "volume":
        need("volume", checkVolumeName);
        break;
    }
    if (issues.items.length > before) return null;
    return { name: input.name as string, kind, settings, password };
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
    for (const key of SOURCE_KEYS[row.kind]) {
      if (key === "password") {
        if (row.passwordEnc == null) continue;
        if (passwords === "keep") {
          spec.password = SECRET_MASK;
          continue;
        }
        const plain = this.deps.box.decrypt(row.passwordEnc);
        spec.password = passwords === "reveal" || plain === "" || isSecretRef(plain) ? plain : SECRET_MASK;
      } else if (row.settings[key] !== undefined) {
        spec[key] = row.settings[key];
      }
    }
    return spec as unknown as SourceSpec;
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
