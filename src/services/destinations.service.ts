import type { SecretBox } from "../crypto/secret-box.js";
import { isSecretRef, resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import type { DestinationRow } from "../db/schema.js";
import { DESTINATION_KINDS, type DestinationConfig, type DestinationKind } from "../destinations/port.js";
import type { DestinationsRepo } from "../repos/destinations.repo.js";
import type { JobsRepo } from "../repos/jobs.repo.js";
import { InUseError, NotFoundError } from "./errors.js";
import {
  findByRef,
  checkAbsolutePath,
  checkBotToken,
  checkKnownKeys,
  checkName,
  checkOneOf,
  checkThreadId,
  isPlainObject,
  Issues,
  parseChatId,
  sameJson,
  SECRET_MASK,
} from "./validation.js";

/**
 * A destination as users write it (the YAML keys). `bot_token` is optional (default: the
 * bot's own token); a literal, an `env:`/`file:` reference, or `"***"` to keep the stored one.
 */
export interface DestinationSpec {
  name: string;
  kind: DestinationKind;
  chat_id?: string;
  thread_id?: number;
  bot_token?: string;
  /** A second chat every verified run is copied to (restores fall back to it). */
  mirror_chat_id?: string;
  mirror_thread_id?: number;
  path?: string;
}

/** A stored destination; a literal `bot_token` is masked (`"***"`) unless asked for. */
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
  /** Stored settings: `{ chatId, threadId? }` or `{ path }`. */
  settings: Record<string, unknown>;
  token: string | null | undefined;
}

/** Keys each kind accepts besides `name` and `kind`, in export order. */
export const DESTINATION_KEYS: Readonly<Record<DestinationKind, readonly string[]>> = {
  telegram: ["chat_id", "thread_id", "bot_token", "mirror_chat_id", "mirror_thread_id"],
  local: ["path"],
};

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
    if (draft && this.deps.repo.findByName(draft.name)) issues.add("name", `a destination named "${draft.name}" already exists`);
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
      issues.add("name", `a destination named "${draft.name}" already exists`);
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
    const before = issues.items.length;
    if (!isPlainObject(input)) {
      issues.add("", "must be a mapping with name, kind and the settings of that kind");
      return null;
    }
    const nameErr = checkName(input.name);
    if (nameErr) issues.add("name", nameErr);
    const kindErr = checkOneOf(input.kind, DESTINATION_KINDS);
    if (kindErr) {
      issues.add("kind", kindErr);
      checkKnownKeys(input, ["name", "kind", ...new Set(Object.values(DESTINATION_KEYS).flat())], issues, "a destination");
      return null;
    }
    const kind = input.kind as DestinationKind;
    checkKnownKeys(input, ["name", "kind", ...DESTINATION_KEYS[kind]], issues, `${kind} destinations`);
    const settings: Record<string, unknown> = {};
    let token: string | null | undefined = null;
    if (kind === "telegram") {
      const chat = parseChatId(input.chat_id);
      if ("error" in chat) issues.add("chat_id", chat.error);
      else settings.chatId = chat.value;
      if (input.thread_id !== undefined && input.thread_id !== null) {
        const err = checkThreadId(input.thread_id);
        if (err) issues.add("thread_id", err);
        else settings.threadId = input.thread_id;
      }
      if (input.mirror_chat_id !== undefined && input.mirror_chat_id !== null) {
        const mirror = parseChatId(input.mirror_chat_id);
        if ("error" in mirror) issues.add("mirror_chat_id", mirror.error);
        else settings.mirrorChatId = mirror.value;
      }
      if (input.mirror_thread_id !== undefined && input.mirror_thread_id !== null) {
        const err = checkThreadId(input.mirror_thread_id);
        if (err) issues.add("mirror_thread_id", err);
        else settings.mirrorThreadId = input.mirror_thread_id;
      }
      const t = input.bot_token;
      if (t === SECRET_MASK) {
        if (existing?.tokenEnc != null) token = undefined;
        else issues.add("bot_token", `"${SECRET_MASK}" is the export mask and there is no stored token to keep; give the token or an env:/file: reference`);
      } else if (t !== undefined && t !== null) {
        const err = checkBotToken(t);
        if (err) issues.add("bot_token", err);
        else token = t as string;
      }
    } else {
      const err = checkAbsolutePath(input.path);
      if (err) issues.add("path", err);
      else settings.path = input.path;
    }
    if (issues.items.length > before) return null;
    return { name: input.name as string, kind, settings, token };
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
    const s = row.settings;
    if (row.kind === "local") return { name: row.name, kind: "local", path: String(s.path) };
    const spec: DestinationSpec = { name: row.name, kind: "telegram", chat_id: String(s.chatId) };
    if (typeof s.threadId === "number") spec.thread_id = s.threadId;
    if (row.tokenEnc != null) {
      if (tokens === "keep") spec.bot_token = SECRET_MASK;
      else {
        const plain = this.deps.box.decrypt(row.tokenEnc);
        spec.bot_token = tokens === "reveal" || isSecretRef(plain) ? plain : SECRET_MASK;
      }
    }
    if (s.mirrorChatId != null) spec.mirror_chat_id = String(s.mirrorChatId);
    if (typeof s.mirrorThreadId === "number") spec.mirror_thread_id = s.mirrorThreadId;
    return spec;
  }

  private async configOf(
    name: string,
    kind: DestinationKind,
    s: Record<string, unknown>,
    token: string | null,
  ): Promise<DestinationConfig> {
    if (kind === "local") return { kind: "local", name, path: String(s.path) };
    const config: DestinationConfig = { kind: "telegram", name, chatId: String(s.chatId) };
    if (typeof s.threadId === "number") config.threadId = s.threadId;
    if (s.mirrorChatId != null) config.mirrorChatId = String(s.mirrorChatId);
    if (typeof s.mirrorThreadId === "number") config.mirrorThreadId = s.mirrorThreadId;
    if (token != null) {
      try {
        config.botToken = await resolveSecret(token, this.deps.env ?? process.env);
      } catch (err) {
        throw new SecretRefError(`destination "${name}" bot_token: ${(err as Error).message}`, { cause: err });
      }
    }
    return config;
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
