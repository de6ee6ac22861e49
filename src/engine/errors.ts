/** Where a run is (`runs.phase`) or failed (`BackupError.phase`). */
export type BackupPhase = "prepare" | "dump" | "compress" | "encrypt" | "upload" | "manifest" | "verify";

/** A run failed; `phase` says where, the message is what the user reads (secrets removed). */
export class BackupError extends Error {
  override name = "BackupError";
  constructor(
    readonly phase: BackupPhase,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The spool folder could not be written (typically a full disk). */
export class SpoolError extends Error {
  override name = "SpoolError";
}
