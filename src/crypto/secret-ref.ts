import { readFile } from "node:fs/promises";

export class SecretRefError extends Error {
  override name = "SecretRefError";
}

/**
 * Variables an `env:` reference may never name: the program's own secrets. Otherwise an admin
 * could read them by creating a source whose password is `env:MASTER_KEY` and pointing it at a
 * server they control.
 */
export const PROTECTED_ENV_VARS: readonly string[] = ["MASTER_KEY", "BOT_TOKEN"];

/** The protected variable an `env:` reference names, or null. */
export function protectedEnvRef(value: string): string | null {
  const name = value.startsWith("env:") ? value.slice(4) : "";
  return PROTECTED_ENV_VARS.includes(name) ? name : null;
}

/** True for `env:NAME` and `file:/path` references, which are resolved at run time. */
export function isSecretRef(value: string): boolean {
  return /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /^file:\/.+/.test(value);
}

/**
 * Resolves a secret given literally or as `env:NAME` / `file:/run/secrets/x`.
 * Error messages name the reference, never a value.
 */
export async function resolveSecret(value: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (value.startsWith("env:") && isSecretRef(value)) {
    const name = value.slice(4);
    if (protectedEnvRef(value)) throw new SecretRefError(`${value} names one of tele-backup's own secrets and cannot be used as a credential`);
    const v = env[name];
    if (v === undefined) throw new SecretRefError(`environment variable ${name} (referenced as ${value}) is not set`);
    return v;
  }
  if (value.startsWith("file:") && isSecretRef(value)) {
    const file = value.slice(5);
    try {
      return (await readFile(file, "utf8")).replace(/\r?\n$/, "");
    } catch (err) {
      throw new SecretRefError(`cannot read secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  return value;
}
