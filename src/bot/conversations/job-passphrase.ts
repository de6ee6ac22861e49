import { isSecretRef } from "../../crypto/secret-ref.js";
import type { Dialog } from "./dialog.js";
import { askSecret, type SecretSlot } from "./steps.js";

/** The fewest characters, and the fewest different ones, a backup passphrase typed in the bot may have. */
export const MIN_PASSPHRASE_LENGTH = 12;
const MIN_DISTINCT = 6;

/**
 * Why a passphrase is too weak to guard backups (a locale key), or undefined. Kept simple and
 * said in the prompt: at least 12 characters, not only digits, not a few characters repeated.
 * An `env:`/`file:` reference is not judged: its value is not ours to see here.
 */
export function passphraseWeakness(value: string): string | undefined {
  if (isSecretRef(value)) return undefined;
  const v = value.trim();
  if ([...v].length < MIN_PASSPHRASE_LENGTH) return "job-pass-too-short";
  if (/^\d+$/.test(v) || new Set(v.toLowerCase()).size < MIN_DISTINCT) return "job-pass-too-simple";
  return undefined;
}

/**
 * A new backup passphrase, typed twice: a weak one is refused with the rule, a second answer
 * that differs from the first starts over. Both messages are deleted by the secret scrubber;
 * only the first handle is kept (in the vault, never in the dialog's log).
 */
export async function askNewPassphrase(d: Dialog): Promise<SecretSlot> {
  const prompt = `${d.t("conv-job-passphrase")}\n${d.t("job-pass-rule", { min: String(MIN_PASSPHRASE_LENGTH) })}`;
  let problem: string | undefined;
  for (;;) {
    const first = await askSecret(d, problem ? `${d.t("conv-problem", { reason: problem })}\n\n${prompt}` : prompt, "password");
    if (first.kind !== "vault") continue;
    const weak = await d.external(() => {
      const value = d.env.vault.get(d.chatId, first.handle);
      if (value === undefined) return "conv-secret-lost";
      const key = passphraseWeakness(value);
      if (key) d.env.vault.drop(first.handle);
      return key ?? null;
    });
    if (weak) {
      problem = d.t(weak, { min: String(MIN_PASSPHRASE_LENGTH) });
      continue;
    }
    const second = await askSecret(d, d.t("job-pass-again"), "password");
    const verdict = await d.external(() => {
      const a = d.env.vault.get(d.chatId, first.handle);
      const b = second.kind === "vault" ? d.env.vault.get(d.chatId, second.handle) : undefined;
      if (second.kind === "vault") d.env.vault.drop(second.handle);
      if (a === undefined) return "lost";
      if (a === b) return "same";
      d.env.vault.drop(first.handle);
      return "differ";
    });
    if (verdict === "same") return first;
    problem = d.t(verdict === "lost" ? "conv-secret-lost" : "job-pass-mismatch");
  }
}
