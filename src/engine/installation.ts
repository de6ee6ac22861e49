import { randomUUID } from "node:crypto";
import type { SettingsRepo } from "../repos/settings.repo.js";

/** Settings key of this installation's id. */
export const INSTALLATION_KEY = "installation.id";

/**
 * This installation's id: random, made once when a data folder is first opened and kept for
 * good. Runs, manifests and catalogs carry it, so two installations posting to one chat (or a
 * copy of a data folder running beside the original after an `adopt`) tell their runs apart:
 * retention and catalogs only ever touch runs of their own installation.
 *
 * Safe when several processes open a new data folder at once: the id is inserted only when
 * absent (first writer wins) and every process then reads the stored one.
 */
export function ensureInstallationId(settings: Pick<SettingsRepo, "get" | "insertAllIfAbsent">): string {
  if (!settings.get(INSTALLATION_KEY)) settings.insertAllIfAbsent({ [INSTALLATION_KEY]: randomUUID() });
  return settings.get(INSTALLATION_KEY)!;
}

/** Whether a run belongs to this installation (runs made before ids existed have none: they are ours). */
export function isOwnRun(run: { installationId: string | null }, installationId: string): boolean {
  return run.installationId == null || run.installationId === installationId;
}
