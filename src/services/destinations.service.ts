import type { SecretBox } from "../crypto/secret-box.js";
import { isSecretRef, resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import type { DestinationRow } from "../db/schema.js";
import { DESTINATION_KINDS, type DestinationConfig, type DestinationKind } from "../destinations/port.js";
import type { DestinationKindSchema } from "../destinations/kind-schema.js";
import { DESTINATION_SCHEMAS } from "../destinations/registry.js";
import type { DestinationsRepo } from "../repos/destinations.repo.js";
import type { JobsRepo } from "../repos/jobs.repo.js";
import { InUseError, NotFoundError } from "./errors.js";
import { kindedParser, type SettingsOf } from "./kinded.js";
import { findByRef, Issues, sameJson, SECRET_MASK } from "./validation.js";

/**
 * A destination as users write it (the YAML keys): `name`, `kind` and the keys of that kind's
 * schema (beside it, in `DESTINATION_SCHEMAS`). A telegram `bot_token` is optional (default: the
 * bot's own token); a literal, an `env:`/`file:` reference, or `"***"` to keep the stored one.
 */
export type DestinationSpec = { name: string; kind: DestinationKind } & Partial<SettingsOf<typeof DESTINATION_SCHEMAS>>;

/** A stored destination; a literal secret is masked (`"***"`) unless asked for. */
export type DestinationView = DestinationSpec & { id: number };

export interface ResolvedDestination {
  id: number;
  name: string;
  config: DestinationConfig;
}

/** A validated destination ready to be written. `token`: undefined keeps what is stored, null means none. */
export interface DestinationDraft {
  name: string;
  kind: DestinationKind;
  /** Stored settings, as the kind's schema stores them (`{ chatId, threadId? }`, `{ path }`). */
  settings: Record<string, unknown>;
  token: string | null | undefined;
}

/** Destinations' shape over the registry of kinds: a new kind registers its schema and needs nothing here. */
export const destinationShape = kindedParser<DestinationKind>(DESTINATION_KINDS, DESTINATION_SCHEMAS, "destination");

const schemaOf = (kind: DestinationKind): DestinationKindSchema => DESTINATION_SCHEMAS[kind];

export interface DestinationsServiceDeps {
  repo: DestinationsRepo;
  jobs: JobsRepo;
  box: SecretBox;
  /** Where `env:` references are looked up; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export class DestinationsService {
  constructor(private readonly deps: DestinationsServiceDeps) {}

  list(options: { withSecrets?: boolean } = {}): DestinationView[] {
    return this.deps.repo.list().map((row) => this.toView(row, options.withSecrets ?? false));
  }

  /** @throws NotFoundError */
  get(ref: string | number, options: { withSecrets?: boolean } = {}): DestinationView {
    return this.toView(this.requireRow(ref), options.withSecrets ?? false);
  }

  getByName(name: string, options: { withSecrets?: boolean } = {}): DestinationView | null {
    const row = this.deps.repo.findByName(name);
    return row ? this.toView(row, options.withSecrets ?? false) : null;
  }

  /** The row with exactly this name (no id fallback), as the importer's upsert needs. */
  rowByName(name: string): DestinationRow | null {
    return this.deps.repo.findByName(name);
  }

  /** The row for a name, or for a numeric id (a number, or digits when no destination has that name). */
  findRow(ref: string | number): DestinationRow | null {
    return findByRef(this.deps.repo, ref);
  }

  /** @throws ValidationError listing every problem */
  create(spec: DestinationSpec): DestinationView {
    const issues = new Issues();
    const draft = this.prepare(spec, null, issues);
    if (draft && this.deps.repo.findByName(draft.name)) issues.add("name", "validation-name-taken-destination", { name: draft.name });
    issues.throwIfAny();
    return this.toView(this.write(draft!, null), false);
  }

  /**
   * Changes some settings; omitted keys (the bot token included) keep their value.
   * Changing `kind` drops the old kind's settings. To remove a stored bot token, pass `bot_token: null`.
   * @throws NotFoundError, ValidationError
   */
  update(ref: string | number, patch: Partial<Omit<DestinationSpec, "bot_token">> & { bot_token?: string | null }): DestinationView {
    const row = this.requireRow(ref);
    const defined: Record<string, unknown> = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const base: Record<string, unknown> =
      patch.kind !== undefined && patch.kind !== row.kind ? { name: row.name } : { ...this.toSpec(row, "keep") };
    const merged = { ...base, ...defined };
    if (merged.bot_token === null) delete merged.bot_token;
    const issues = new Issues();
    const draft = this.prepare(merged, row, issues);
    if (draft && draft.name !== row.name && this.deps.repo.findByName(draft.name)) {
      issues.add("name", "validation-name-taken-destination", { name: draft.name });
    }
    issues.throwIfAny();
    return this.toView(this.write(draft!, row), false);
  }

  /**
   * Replaces every setting of a stored destination with `spec` (the bot's edit dialog): a key
   * left out is removed, a secret given as `"***"` keeps the stored one. The id stays, so the
   * jobs delivering to it follow a rename and their next run uses the new settings.
   * @throws NotFoundError, ValidationError
   */
  replace(ref: string | number, spec: DestinationSpec): DestinationView {
    const row = this.requireRow(ref);
    const issues = new Issues();
    const draft = this.prepare(spec, row, issues);
    if (draft && draft.name !== row.name && this.deps.repo.findByName(draft.name)) {
      issues.add("name", "validation-name-taken-destination", { name: draft.name });
    }
    issues.throwIfAny();
    return this.toView(this.write(draft!, row), false);
  }

  /** @throws NotFoundError, InUseError naming the jobs that deliver to it */
  delete(ref: string | number): void {
    const row = this.requireRow(ref);
    const users = this.deps.jobs.listByDestination(row.id);
    if (users.length > 0) throw new InUseError("destination", row.name, users.map((j) => j.name));
    this.deps.repo.delete(row.id);
  }

  /**
   * The destination with its bot token decrypted and resolved.
   * @throws NotFoundError, SecretRefError (naming the reference, never a value)
   */
  async resolve(ref: string | number): Promise<ResolvedDestination> {
    const row = this.requireRow(ref);
    const config = await this.configOf(row.name, row.kind, row.settings, row.tokenEnc == null ? null : this.deps.box.decrypt(row.tokenEnc));
    return { id: row.id, name: row.name, config };
  }

  /** The resolved config a draft would have once written (for checking a destination before saving it). */
  async resolveDraft(draft: DestinationDraft, existing: DestinationRow | null): Promise<DestinationConfig> {
    const token = draft.token === undefined ? this.deps.box.decryptOptional(existing?.tokenEnc) : draft.token;
    return this.configOf(draft.name, draft.kind, draft.settings, token);
  }

  /**
   * Validates user input (any shape) against `existing` (the row it would replace, if any).
   * Does not check that the name is free. Returns null when there were issues.
   */
  prepare(input: unknown, existing: DestinationRow | null, issues: Issues): DestinationDraft | null {
    const parsed = destinationShape.parse(input);
    if (!parsed.ok) {
      issues.addAll(parsed.issues);
      return null;
    }
    const { name, kind, settings } = parsed.value;
    const schema = schemaOf(kind);
    let token: string | null | undefined = null;
    if (schema.secret) {
      const given = settings[schema.secret] as string | undefined;
      delete settings[schema.secret];
      if (given === SECRET_MASK) {
        if (existing?.tokenEnc == null) {
          issues.add(schema.secret, "validation-mask-nothing-stored", { key: schema.secret });
          return null;
        }
        token = undefined;
      } else if (given !== undefined) token = given;
    }
    return { name, kind, settings: schema.toStored ? schema.toStored(settings) : settings, token };
  }

  /** True when writing `draft` over `row` would change nothing. */
  isUnchanged(draft: DestinationDraft, row: DestinationRow): boolean {
    if (draft.name !== row.name || draft.kind !== row.kind || !sameJson(draft.settings, row.settings)) return false;
    if (draft.token === undefined) return true;
    return draft.token === this.deps.box.decryptOptional(row.tokenEnc);
  }

  /** Inserts (existing = null) or replaces a validated draft. Tokens are stored only encrypted. */
  write(draft: DestinationDraft, existing: DestinationRow | null): DestinationRow {
    const values = {
      name: draft.name,
      kind: draft.kind,
      settings: draft.settings,
      ...(draft.token === undefined ? {} : { tokenEnc: this.deps.box.encryptOptional(draft.token) }),
    };
    if (!existing) return this.deps.repo.insert({ tokenEnc: null, ...values });
    const row = this.deps.repo.update(existing.id, values);
    if (!row) throw new NotFoundError("destination", existing.name);
    return row;
  }

  /**
   * The spec of a stored destination. Tokens: `"reveal"` shows them, `"mask"` shows literal
   * ones as `"***"` (references are not secrets), `"keep"` gives `"***"` for any stored token.
   */
  toSpec(row: DestinationRow, tokens: "reveal" | "mask" | "keep"): DestinationSpec {
    const schema = schemaOf(row.kind);
    const fields = schema.fromStored ? schema.fromStored(row.settings) : row.settings;
    const spec: Record<string, unknown> = { name: row.name, kind: row.kind };
    for (const key of destinationShape.keysOf(row.kind)) {
      if (key !== schema.secret) {
        if (fields[key] !== undefined) spec[key] = fields[key];
      } else if (row.tokenEnc != null) {
        if (tokens === "keep") spec[key] = SECRET_MASK;
        else {
          const plain = this.deps.box.decrypt(row.tokenEnc);
          spec[key] = tokens === "reveal" || isSecretRef(plain) ? plain : SECRET_MASK;
        }
      }
    }
    return spec as DestinationSpec;
  }

  private async configOf(name: string, kind: DestinationKind, settings: Record<string, unknown>, token: string | null): Promise<DestinationConfig> {
    let secret: string | undefined;
    if (token != null) {
      try {
        secret = await resolveSecret(token, this.deps.env ?? process.env);
      } catch (err) {
        throw new SecretRefError(`destination "${name}" ${schemaOf(kind).secret ?? "secret"}: ${(err as Error).message}`, { cause: err });
      }
    }
    return schemaOf(kind).toConfig(name, settings, secret);
  }

  private toView(row: DestinationRow, withSecrets: boolean): DestinationView {
    return { id: row.id, ...this.toSpec(row, withSecrets ? "reveal" : "mask") };
  }

  private requireRow(ref: string | number): DestinationRow {
    const row = this.findRow(ref);
    if (!row) throw new NotFoundError("destination", ref);
    return row;
  }
}
