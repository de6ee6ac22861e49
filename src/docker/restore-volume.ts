import type Docker from "dockerode";
import { isNotFound, toDockerError } from "./errors.js";
import { runHelperScript } from "./helper-container.js";
import { oneLine } from "../shared/one-line.js";

/**
 * A volume a restore creates carries this label, valued with that restore's own token. The
 * restore records `volumeScratch(name, token)` before it starts; if its process dies before the
 * restore ends, start-up recovery removes the volume, but only while it still carries that
 * token: a volume that existed before (no label) or that another restore made is never touched.
 * Labels cannot change, so a restored volume keeps it; it means nothing once the restore ended.
 */
export const RESTORE_VOLUME_LABEL = "tele-backup.restore";

const PREFIX = "docker-volume:";

/** The scratch entry a restore into volume `name` records (see RESTORE_VOLUME_LABEL). */
export function volumeScratch(name: string, token: string): string {
  return `${PREFIX}${token}:${name}`;
}

/** The volume and token of a scratch entry made by `volumeScratch`; null for any other entry (a file). */
export function parseVolumeScratch(entry: string): { name: string; token: string } | null {
  if (!entry.startsWith(PREFIX)) return null;
  const rest = entry.slice(PREFIX.length);
  const colon = rest.indexOf(":");
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { token: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

/**
 * Removes volume `name` if a restore with `token` created it: `removed`; `absent` when there is
 * no such volume; `kept` when it is not that restore's (it existed before, or another restore made
 * it). Throws (DockerError) when it could not be removed, for example because a container uses it.
 */
export async function removeRestoreVolume(docker: Docker, name: string, token: string): Promise<"removed" | "absent" | "kept"> {
  const volume = docker.getVolume(name);
  let labels: Record<string, string> | null | undefined;
  try {
    labels = ((await volume.inspect()) as { Labels?: Record<string, string> | null }).Labels;
  } catch (err) {
    if (isNotFound(err)) return "absent";
    throw toDockerError(docker, `cannot inspect volume "${name}"`, err);
  }
  if (labels?.[RESTORE_VOLUME_LABEL] !== token) return "kept";
  try {
    await volume.remove();
    return "removed";
  } catch (err) {
    if (isNotFound(err)) return "absent";
    throw toDockerError(docker, `cannot remove volume "${name}"`, err);
  }
}

/**
 * The hidden folder a restore into an *existing* (empty) volume extracts into, named by the
 * restore's token: only a complete, checked payload is moved up into the volume's root (renames,
 * by a helper started for it). A failed or killed restore leaves nothing but this folder, which
 * the restore itself or start-up recovery (the token is in the restore's scratch entry) removes:
 * the volume is empty again, as it was.
 */
export function restoreStaging(token: string): string {
  return `.tele-backup-restore-${token}`;
}

/** True for a staging folder of some restore (`restoreStaging`). */
export const isRestoreStaging = (name: string): boolean => /^\.tele-backup-restore-[\w-]+$/.test(name);

/** Moves everything in staging folder $1 up into /data and removes the folder (busybox or any POSIX sh). */
export const FINISH_STAGED_RESTORE = [
  'set -e; [ -n "$1" ]; cd "/data/$1"',
  'for f in * .[!.]* ..?*; do if [ -e "$f" ] || [ -L "$f" ]; then mv "$f" /data/; fi; done',
  'cd /data; rmdir "$1"',
].join("\n");

/** Removes staging folder $1 of the volume, saying `removed` when it was there. */
export const CLEAR_STAGED_RESTORE = 'set -e; [ -n "$1" ]; if [ -e "/data/$1" ]; then rm -rf "/data/$1"; echo removed; fi';

/**
 * Removes a restore's staging folder from volume `volume` (which must exist: a helper on a
 * missing volume would create it) with a helper of `image`. Returns whether the folder was there;
 * throws when the helper failed (the folder may stay).
 */
export async function clearRestoreStaging(docker: Docker, image: string, volume: string, staging: string): Promise<boolean> {
  const r = await runHelperScript(docker, { image, volume, purpose: "restore-clear", script: { text: CLEAR_STAGED_RESTORE, args: [staging] } });
  if (r.code !== 0) throw new Error(`the helper exited with code ${r.code}: ${oneLine(r.output)}`);
  return r.output.includes("removed");
}

/** Whether the helper image has what a staged restore runs (`sh`, `mv`, `rm`, `rmdir`). */
export const PROBE_STAGED_RESTORE = "command -v mv && command -v rm && command -v rmdir";
