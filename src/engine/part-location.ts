import type { RunPartRow } from "../db/schema.js";
import type { StoredLocation } from "../destinations/port.js";

/**
 * Where a recorded copy of a part is, as its destination takes it back (fetch, delete). It
 * carries `storedAt`, so a destination can tell what its backend will refuse to delete.
 */
export function locationOf(p: RunPartRow): StoredLocation {
  return { locator: p.locator ?? "", storedAt: p.storedAt, ...(p.messageId != null ? { messageId: p.messageId } : {}), ...(p.fileId != null ? { fileId: p.fileId } : {}) };
}

/** The run-part columns that say where a copy is (the reverse of `locationOf`). */
export function locationColumns(at: StoredLocation): Pick<RunPartRow, "locator" | "messageId" | "fileId"> {
  return { locator: at.locator, messageId: at.messageId ?? null, fileId: at.fileId ?? null };
}
