# Why a restore or verify cannot go ahead (src/engine/restore.ts, the sources' restore targets).
# The bot says them inside restore-failed; the CLI prints the English message of the error.

restore-error-run-not-found = Run #{ $run } was not found.
restore-error-run-not-success = Run #{ $run } did not succeed ({ $status ->
    [failed] it failed
    [interrupted] it was interrupted
   *[other] it is still running
  }); there is nothing to restore.
restore-error-no-parts = Run #{ $run } has no stored parts left to restore.
restore-error-no-parts-verify = Run #{ $run } has no stored parts left to verify.
restore-error-kind-mismatch = Run #{ $run } is a { $kind } backup; it cannot be restored into the { $targetKind } source "{ $target }".
restore-error-needs-identity = Run #{ $run } is encrypted to age recipients: give its private key (CLI: --identity <file>).
restore-error-file-exists = { $path } already exists; choose a new file.
restore-error-identity-wrong = The age key given does not open run #{ $run }; nothing was restored.
restore-error-passphrase-unusable = Run #{ $run } is encrypted with a passphrase and the one stored with it cannot be used ({ $reason }); give the passphrase (CLI: --passphrase-file <file>).
restore-error-passphrase-none = Run #{ $run } is encrypted with a passphrase and none is stored for it; give the passphrase (CLI: --passphrase-file <file>).
restore-error-passphrase-given-wrong = The passphrase given does not open run #{ $run }; nothing was restored.
restore-error-passphrase-stored-wrong = The passphrase stored with run #{ $run } does not open it (was it changed?); give the one the backup was made with (CLI: --passphrase-file <file>). Nothing was restored.
restore-error-no-intact-copy = Part { $part } of run #{ $run } has no intact copy ({ $copies }); nothing was restored.
restore-error-payload-unchecked = Run #{ $run } has no recorded sha256: its payload cannot be checked, so the restore was stopped before its end.
restore-error-payload-mismatch = Run #{ $run }: the payload rebuilt from its parts does not match the manifest; the restore was stopped before its end.

# One copy of a part that could not be used, and a list of them.
restore-copy-list = { $first }; { $rest }
restore-copy-missing = { $destination }: { $name } is missing
restore-copy-corrupt = { $destination }: { $name } does not match its checksum
restore-copy-unreadable = { $destination }: { $name } cannot be read back ({ $detail })
restore-copy-too-big = { $destination }: { $name } is too big to be read back through this API

# Restore targets the source drivers refuse before anything is loaded.
restore-error-db-name = "{ $database }" is not a usable database name.
restore-error-db-reserved = "{ $database }" is a name reserved for the scratch databases of restores.
restore-error-db-exists = Database "{ $database }" already exists on { $server }; choose another name for the new database.
restore-error-db-missing = Database "{ $database }" does not exist on { $server }.
restore-error-target-file-exists = Restore target { $path } already exists: restore into a new file path.
restore-error-target-not-empty = Restore target { $path } is not empty: restore into a new or empty folder.
restore-error-target-not-folder = Restore target { $path } exists and is not a folder.
