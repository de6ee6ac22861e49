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
 * by a helper started for it). A restore that fails or is killed before the moves leaves nothing
 * but this folder, which the restore itself or start-up recovery (the token is in the restore's
 * scratch entry) removes: the volume is empty again, as it was. Once the moves have begun (the
 * `.moving` marker beside the folder) the restore only goes forward: see SETTLE_STAGED_RESTORE.
 */
export function restoreStaging(token: string): string {
  return `.tele-backup-restore-${token}`;
}

const STAGING_NAME = /^\.tele-backup-restore-([\w-]+)(?:\.moving|\.moved)?$/;

/** True for a staging folder of some restore (`restoreStaging`), its `.moving` marker or its `.moved` list. */
export const isRestoreStaging = (name: string): boolean => STAGING_NAME.test(name);

/** The token of the restore a staging folder or marker belongs to; null for any other name. */
export const stagingToken = (name: string): string | null => STAGING_NAME.exec(name)?.[1] ?? null;

/** Shell lines every staged-restore script starts with: $1 is the staging folder's name, never empty. */
const STAGED_PRELUDE = [
  'set -e; [ -n "$1" ]',
  'st="$1"; s="/data/$1"; m="/data/$1.moving"; l="/data/$1.moved"',
  'present() { [ -e "$1" ] || [ -L "$1" ]; }',
];
/** Every entry of the current folder, hidden ones included (names starting with `-` are passed as `./-x`). */
const EACH_ENTRY = 'for f in * .[!.]* ..?*; do present "$f" || continue';

/**
 * Moves everything in staging folder $1 up into /data and removes the folder (busybox or any
 * POSIX sh). Never a mix, never an overwrite:
 * - a name the volume's root already has (something wrote into the volume meanwhile): exit 3,
 *   nothing moved;
 * - the `.moving` marker is written, then each entry is renamed into place;
 * - a move that fails (or a name that appeared meanwhile): the entries this script moved go back
 *   into the folder, the marker goes, exit 4: the volume is as it was. What moved is noted as
 *   empty files of the same names in `<folder>.moved` (names may hold any byte but NUL and `/`,
 *   so a file system folder is the one list a POSIX sh keeps of them in linear time);
 * - killed halfway (or the way back failing, exit 5): the marker stays, and SETTLE_STAGED_RESTORE
 *   finishes the moves.
 */
export const FINISH_STAGED_RESTORE = [
  ...STAGED_PRELUDE,
  'cd "$s"',
  `${EACH_ENTRY}; if present "/data/$f"; then echo "already in the volume: $f"; exit 3; fi; done`,
  ': > "$m"; mkdir -p "$l"',
  `${EACH_ENTRY}`,
  '  if present "/data/$f" || ! mv "./$f" /data/; then',
  '    echo "cannot move $f into place"',
  '    cd "$l"',
  `    ${EACH_ENTRY}; mv "/data/$f" "$s/" || { echo "cannot move $f back"; exit 5; }; done`,
  '    cd /data; rm -rf "$l"; rm -f "$m"; exit 4',
  "  fi",
  '  : > "$l/$f"',
  "done",
  'cd /data; rmdir "$st"; rm -rf "$l"; rm -f "$m"',
].join("\n");

/**
 * What is left of staging folder $1 after its restore stopped: with the `.moving` marker the
 * payload was complete and the moves had begun, so they are finished (`finished`; a name the
 * root already has: exit 3, nothing more moved); without it the payload may be partial and the
 * folder is removed (`removed`). Prints nothing when there is neither.
 */
export const SETTLE_STAGED_RESTORE = [
  ...STAGED_PRELUDE,
  'if present "$m"; then',
  '  if present "$s"; then',
  '    cd "$s"',
  `    ${EACH_ENTRY}; if present "/data/$f"; then echo "already in the volume: $f"; exit 3; fi; mv "./$f" /data/; done`,
  '    cd /data; rmdir "$st"',
  "  fi",
  '  rm -rf "$l"; rm -f "$m"; echo finished',
  'elif present "$s"; then rm -rf "$s" "$l"; echo removed',
  "fi",
].join("\n");

/** What settling a staging folder did (SETTLE_STAGED_RESTORE); `absent`: there was nothing to settle. */
export type StagingOutcome = "finished" | "removed" | "absent";

/**
 * Settles a stopped restore's staging folder in volume `volume` (which must exist: a helper on a
 * missing volume would create it) with a helper of `image`: finishes its moves when they had
 * begun, else removes it. Throws when the helper failed (the folder may stay).
 */
export async function settleRestoreStaging(docker: Docker, image: string, volume: string, staging: string): Promise<StagingOutcome> {
  const r = await runHelperScript(docker, { image, volume, purpose: "restore-finish", script: { text: SETTLE_STAGED_RESTORE, args: [staging] } });
  if (r.code !== 0) throw new Error(`the helper exited with code ${r.code}: ${oneLine(r.output)}`);
  const said = r.output.trimEnd().split("\n").pop();
  return said === "finished" || said === "removed" ? said : "absent";
}

/** Whether the helper image has what a staged restore runs (`sh`, `mv`, `rm`, `rmdir`). */
export const PROBE_STAGED_RESTORE = "command -v mv && command -v rm && command -v rmdir";
