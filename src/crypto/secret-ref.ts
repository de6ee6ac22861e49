import { readFile } from "node:fs/promises";

export class SecretRefError extends Error {
  override name = "SecretRefError";
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
