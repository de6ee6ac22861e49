import { redact } from "../../crypto/redact.js";
import { renderTranslatable, translatableOf } from "../../shared/translatable.js";
import type { Issue } from "../../services/errors.js";
import { issueText } from "../helpers.js";
import { checkBotToken, checkName, checkSecret } from "../../services/validation.js";
import { SECRET_MASK } from "../../shared/schema.js";
import { MAX_ANSWER_LENGTH, type Choice, type Dialog, type DialogArgs } from "./dialog.js";
import { readChat, readThreadId, type Read } from "./parse.js";

/** Steps and helpers the creation and edit dialogs share. */

/**
 * Where a secret answer is: nowhere ("no password"), behind a vault handle, or still the one
 * stored with the entity being edited (`shown`: a reference such as `env:NAME`, which is no
 * secret). Never the value.
 */
export type SecretSlot = { kind: "none" } | { kind: "vault"; handle: string } | { kind: "stored"; shown?: string };

/** What an edit dialog is entered with: the locale and the id of the entity to change. */
export interface EditArgs extends DialogArgs {
  id: number;
}

export type SecretCheck = "password" | "token";

/** The locale key explaining why `value` is refused, or undefined. Never quotes the value. */
function secretProblem(value: string, check: SecretCheck): string | undefined {
  const err = check === "token" ? checkBotToken(value) : checkSecret(value);
  if (!err) return undefined;
  if (value.startsWith("env:") || value.startsWith("file:")) return "conv-err-secret-ref";
  return check === "token" ? "conv-err-token" : "conv-err-required";
}

/** A Read from parse.ts as a dialog answer check, with the refusal translated. */
export function explain<T>(d: Dialog, read: Read<T>): { ok: T } | { error: string } {
  return "ok" in read ? read : { error: d.t(read.error, read.params) };
}

/**
 * Asks for a password, passphrase or bot token. The answer is deleted from the chat by the
 * scrubber before this dialog sees it; the value is checked inside `external` and stays in
 * the vault. `none` adds a button meaning "no secret".
 */
export async function askSecret(d: Dialog, prompt: string, check: SecretCheck, none?: Choice): Promise<SecretSlot> {
  const text = `${prompt}\n\n${d.t("conv-secret-hint")}`;
  return d.askValid<SecretSlot>(
    text,
    async (answer) => {
      if (answer.kind === "button") return { ok: { kind: "none" } };
      if (answer.kind !== "secret") return { error: d.t("conv-secret-resend") };
      const problem = await d.external(() => {
        const value = d.env.vault.get(d.chatId, answer.handle);
        if (value === undefined) return { key: "conv-secret-lost" };
        const p = value.length > MAX_ANSWER_LENGTH ? "conv-too-long" : secretProblem(value, check);
        if (p) d.env.vault.drop(answer.handle);
        return p ? { key: p, length: value.length } : null;
      });
      return problem ? { error: d.t(problem.key, { length: String(problem.length ?? 0), max: String(MAX_ANSWER_LENGTH) }) } : { ok: { kind: "vault", handle: answer.handle } };
    },
    { secret: true, ...(none ? { choices: [[none]] } : {}) },
  );
}

/**
 * The secret behind a slot (null for none, `"***"` = keep the stored one, as the services take
 * it), or undefined when the vault lost it (restart). Call only inside `external`.
 */
export function revealSecret(d: Dialog, slot: SecretSlot | undefined): string | undefined | null {
  if (!slot || slot.kind === "none") return null;
  if (slot.kind === "stored") return SECRET_MASK;
  return d.env.vault.get(d.chatId, slot.handle);
}

/** How a secret shows on an edit button: "•••• (set)", the reference, or "none". */
export function secretLabel(d: Dialog, slot: SecretSlot | undefined): string {
  if (!slot || slot.kind === "none") return d.t("secret-none");
  if (slot.kind === "stored" && slot.shown) return slot.shown;
  return d.t("edit-secret-set");
}

/** A stored secret as the service shows it (`"***"`, a reference or nothing) as a slot that keeps it. */
export function storedSecret(shown: unknown): SecretSlot {
  if (typeof shown !== "string" || shown === "") return { kind: "none" };
  return shown === SECRET_MASK ? { kind: "stored" } : { kind: "stored", shown };
}

/** A field of an edit menu: its code and the value shown on its button. */
export interface MenuField {
  value: string;
  label: string;
  current: string;
}

/** "Which setting do you want to change?" with the current values on the buttons, and Cancel. Returns the field or "cancel". */
export async function chooseField(d: Dialog, fields: MenuField[], header?: string): Promise<string> {
  const clip = (v: string) => (v.length > 40 ? `${v.slice(0, 39)}…` : v);
  const text = header ? `${header}\n\n${d.t("conv-edit-which")}` : d.t("conv-edit-which");
  return d.choose(text, [
    ...rows(fields.map((f) => ({ value: f.value, label: f.current ? `${f.label}: ${clip(f.current)}` : f.label })), 1),
    [{ value: "cancel", label: d.t("conv-btn-cancel") }],
  ]);
}

/** After a failed test of an edit: the reason, then Retry / Change a setting / Cancel (nothing is saved). */
export async function afterFailedEdit(d: Dialog, reason: string): Promise<"retry" | "edit" | "cancel"> {
  const choice = await d.choose(`${d.t("conv-test-failed-edit", { reason })}`, [
    [
      { value: "retry", label: d.t("conv-btn-retry") },
      { value: "edit", label: d.t("conv-btn-edit") },
    ],
    [{ value: "cancel", label: d.t("conv-btn-cancel") }],
  ]);
  return choice as "retry" | "edit" | "cancel";
}

/** The review of a new source or destination: Save / Change a setting / Cancel. */
export async function review(d: Dialog, text: string): Promise<"save" | "edit" | "cancel"> {
  const choice = await d.choose(text, [
    [{ value: "save", label: d.t("conv-btn-save") }],
    [
      { value: "edit", label: d.t("conv-btn-edit") },
      { value: "cancel", label: d.t("conv-btn-cancel") },
    ],
  ]);
  return choice as "save" | "edit" | "cancel";
}

/** An error's message fit for the chat: secrets removed, translated when the error carries a locale key. */
export function reasonOf(d: Dialog, err: unknown, secrets: Array<string | null | undefined>): string {
  let text = err instanceof Error ? err.message : String(err);
  const said = translatableOf(err);
  if (said) {
    try {
      text = renderTranslatable((_locale, key, params) => d.t(key, params), "", said);
    } catch {
      // a key whose params are missing: the destination's own (English) message still explains it
    }
  }
  return redact(text, secrets);
}

/** Every issue of a refused save, one per line, in the admin's language. */
export function issuesText(d: Dialog, issues: Issue[]): string {
  return issues.map((i) => `• ${issueText((key, params) => d.t(key, params), i)}`).join("\n");
}

/**
 * Asks for an entity name (checked like the services check it), offering `suggestion` as a
 * button. `exists` runs inside `external`.
 */
export async function askName(d: Dialog, prompt: string, suggestion: string | undefined, exists: (name: string) => boolean, what: string): Promise<string> {
  const choices = suggestion ? [[{ value: "suggested", label: d.t("conv-btn-use", { value: suggestion }) }]] : undefined;
  return d.askValid<string>(
    prompt,
    async (answer) => {
      const name = answer.kind === "button" ? (suggestion ?? "") : answer.kind === "text" ? answer.text.trim() : "";
      if (checkName(name)) return { error: d.t("conv-err-name-invalid", { value: name }) };
      const taken = await d.external(() => exists(name));
      if (taken) return { error: d.t("conv-err-name-taken", { what: d.t(what), name }) };
      return { ok: name };
    },
    { text: true, ...(choices ? { choices } : {}) },
  );
}

/** Asks for a chat (id, @username, link or a forwarded message). `extra` buttons are returned as `{ button }`. */
export async function askChat(d: Dialog, prompt: string, extra: Choice[] = []): Promise<{ chatId: string; title?: string } | { button: string }> {
  return d.askValid<{ chatId: string; title?: string } | { button: string }>(
    prompt,
    (answer) => {
      if (answer.kind === "button") return { ok: { button: answer.value } };
      if (answer.kind !== "text") return { error: d.t("conv-err-chat") };
      return explain(d, readChat(answer.message));
    },
    { text: true, forward: true, ...(extra.length > 0 ? { choices: [extra] } : {}) },
  );
}

/** Asks for an optional forum topic id; undefined = no topic. */
export async function askThread(d: Dialog, prompt: string): Promise<number | undefined> {
  return d.askValid<number | undefined>(
    prompt,
    (answer) => {
      if (answer.kind === "button") return { ok: undefined };
      if (answer.kind !== "text") return { error: d.t("conv-err-thread") };
      return explain(d, readThreadId(answer.text));
    },
    { text: true, choices: [[{ value: "none", label: d.t("conv-btn-no-topic") }]] },
  );
}

export type AfterFailure = "retry" | "edit" | "save" | "cancel";

/** After a failed connection test: the reason, then Retry / Change a setting / Save anyway / Cancel. */
export async function afterFailedTest(d: Dialog, reason: string): Promise<AfterFailure> {
  const choice = await d.choose(d.t("conv-test-failed", { reason }), [
    [
      { value: "retry", label: d.t("conv-btn-retry") },
      { value: "edit", label: d.t("conv-btn-edit") },
    ],
    [
      { value: "save", label: d.t("conv-btn-save-anyway") },
      { value: "cancel", label: d.t("conv-btn-cancel") },
    ],
  ]);
  return choice as AfterFailure;
}

/** Ends a dialog the user cancelled from one of its buttons. */
export async function cancelDialog(d: Dialog): Promise<void> {
  await d.forgetSecrets();
  await d.say(d.t("conv-cancelled"));
}

/** Buttons laid out `perRow` to a row. */
export function rows(choices: Choice[], perRow: number): Choice[][] {
  const out: Choice[][] = [];
  for (let i = 0; i < choices.length; i += perRow) out.push(choices.slice(i, i + perRow));
  return out;
}
