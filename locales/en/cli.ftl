# The command line (tele-backup <command>).

cli-usage =
    Usage: tele-backup <command> [options]

    Commands:
      run                                    apply migrations, then run the bot and the scheduler (npm start)
      health                                 exit 0 while the scheduler's heartbeat is fresh (Docker HEALTHCHECK)
      backup <job> [--json]                  run one job now, print the result (exit 0: verified; 2: stored but not every part read back; 1: failed)
      restore <run-id> --to <source> --new-database[=<name>]
                                             verify a run's parts, then load it into a NEW database on the
                                             source's server (default name <db>_restored_<yyyymmdd_hhmm>)
      restore <run-id> --to <source> --replace
                                             the same into the source's own database, replacing its content
                                             in one step once everything loaded (without --replace: empty targets only)
      restore <run-id> --file <path>         verify a run's parts, then write the plain dump to a new file
          {"["}--identity <file>]                age identity file for runs encrypted to recipients
          {"["}--passphrase-file <file>]         the passphrase, when the one stored with the run does not open it
      verify <run-id>                        download every stored part of a run and check its sha256
      drill <job>                            restore drill: restore the job's newest good run into a throw-away
                                             target, compare with what was counted at dump time, drop the target
      config export [file] [--with-secrets]  write all sources, destinations and jobs as YAML
      config import <file>                   validate and upsert sources, destinations and jobs from YAML
      adopt <chat> [--yes] [--take-over]     read the catalog pinned in a chat (id or @username): list its jobs and runs,
                                             then import them (runs restorable here, jobs created disabled;
                                             --take-over: this installation's retention prunes them from now on)
      discover [--add <n|name>]              list the PostgreSQL, MariaDB/MySQL and Redis containers and named volumes
                                             Docker shows; --add tests one and saves it as a source
      migrate                                apply database migrations and exit
      help                                   show this text

    Environment: see README.md (ADMIN_IDS, MASTER_KEY, DATA_DIR, ... are read by every command).
cli-migrated = database is up to date: { $path }
cli-run-status = run { $run }: { $status }
cli-run-job = job:      { $job }
cli-run-file = file:     { $file } ({ $parts ->
    [one] 1 part
   *[other] { $parts } parts
  })
cli-run-size = size:     { $size } ({ $raw } before compression)
cli-run-sha = sha256:   { $sha }
cli-run-verified = verified: { $verified ->
    [yes] yes
   *[no] no
  }
cli-run-error = error:    { $error }
cli-run-duration = duration: { $duration }
cli-restored-file = run { $run } restored into { $target } ({ $size } payload, every part's sha256 checked)
cli-restored-source = run { $run } restored into source "{ $target }" ({ $size } payload, every part's sha256 checked)
cli-verify-ok = run { $run }: ok — { $count ->
    [one] 1 stored file
   *[other] { $count } stored files
  } downloaded, every sha256 matches
cli-verify-failed = run { $run }: FAILED — at least one part has no intact copy in any destination; this run cannot be restored by this tool
cli-exported = configuration written to { $file }
cli-exported-secrets = configuration written to { $file } (with secrets: keep it safe)
cli-imported = imported { $file }: { $summary }
cli-import-invalid = { $file }: { $count ->
    [one] 1 error
   *[other] { $count } errors
  }, nothing was changed
cli-run-already-running = another `tele-backup run` already uses this data folder (pid { $pid } on { $host }, running since { $since }): stop it first. Two would run every backup twice and take turns answering the bot.
cli-run-already-running-unknown = another `tele-backup run` already uses this data folder: stop it first. Two would run every backup twice and take turns answering the bot.
cli-healthy = healthy
cli-unhealthy = unhealthy: the scheduler's heartbeat is stale or missing
cli-internal-error = internal error: the command stopped before it finished
cli-config-error = configuration error: { $message }
cli-phase-dumping = dumping
cli-phase-uploading = uploading part { $part }
cli-phase-manifest = writing the manifest
cli-phase-verifying = reading the parts back
cli-phase-done = done
cli-phase-downloading = downloading
cli-phase-checking = checking parts
cli-phase-loading = loading

# Restore and verify from every copy; passphrases kept with each run (issue 9, items 6 and 8).
cli-verify-copy = { $destination } · { $part ->
    [0] manifest
   *[other] part { $part }/{ $parts }
  } · { $name }: { $status ->
    [ok] ok
    [corrupt] CORRUPT ({ $detail })
    [unreadable] cannot be read back ({ $detail })
    [too-big] too big to be read back through this API, not checked
   *[missing] MISSING
  }
cli-verify-restorable = run { $run }: { $bad ->
    [one] 1 stored copy is bad
   *[other] { $bad } stored copies are bad
  }, but the run is still restorable: every part has an intact copy in another destination
cli-restore-skipped-copy = note: passed over { $destination } · part { $part } · { $name }: { $status ->
    [corrupt] corrupt ({ $detail })
    [unreadable] cannot be read back ({ $detail })
    [too-big] too big to be read back through this API
   *[missing] missing
  }; took it from another copy

## backup: honest success (issue 9, item 5)
cli-run-status-unverified = run { $run }: ⚠️ stored, NOT verified — not every part could be read back, so this tool cannot promise to restore it (exit status 2)

## restore targets (--new-database, --replace)
cli-restore-not-empty = source "{ $source }" (database { $database }) is not empty. Restore beside it with --new-database (nothing is touched), or replace its content with --replace (the current data is dropped once the backup has loaded completely; after any failure it stays as it is).
cli-restore-new-database-kind = --new-database works for PostgreSQL and MySQL/MariaDB sources; "{ $source }" is a { $kind } source
cli-restored-new-database = run { $run } restored into the new database { $database } on the server of source "{ $source }" ({ $size } payload, every part's sha256 checked)

# Adopt (issue 12): rebuild the index from a chat's pinned catalog
cli-adopt-header = catalog of chat { $chat } · installation { $installation } · written { $written }
cli-adopt-jobs = jobs ({ $count }):
cli-adopt-job-new = { $job } · { $kind } source "{ $source }" · { $schedule } · created DISABLED; secrets to set before enabling: { $secrets }
cli-adopt-job-exists = { $job } · a job of this name is here already: kept as it is
cli-adopt-secret-password = the password of source "{ $source }"
cli-adopt-secret-passphrase = the job's passphrase
cli-adopt-runs = runs kept in the chat ({ $count }):
cli-adopt-run = run { $run } · { $job } · { $date } · { $size } · { $parts } { $parts ->
        [one] part
       *[other] parts
    } · { $state ->
        [complete] complete
        [unverified] complete, not verified when it was made
       *[incomplete] INCOMPLETE: parts missing
    }{ $imported ->
        [yes] {" "}· already imported
       *[other] {""}
    }
cli-adopt-confirm = Import these runs and jobs? [y/N]
cli-adopt-cancelled = nothing imported
cli-adopt-dry-run = nothing imported yet: run again with --yes to import (or in a terminal, to confirm)
cli-adopt-done = imported { $runs } { $runs ->
        [one] run
       *[other] runs
    } ({ $skipped } already here) with destination "{ $destination }"; jobs created disabled: { $jobs }; sources created: { $sources }
cli-adopt-run-here = run { $from } ({ $job }) is run { $id } here: restore and verify it by that number
cli-adopt-enable-hint = job "{ $job }" stays disabled until you set { $secrets }; then enable it (bot, or config import with enabled: true)
cli-adopt-other-catalog = also in this chat: the catalog of installation { $installation } · written { $written } · { $runs } { $runs ->
    [one] run
   *[other] runs
    }
cli-adopt-unreadable-catalog = the catalog of installation { $installation } could not be read: { $reason }
cli-adopt-run-installation = installation { $installation }
cli-adopt-taken-over = { $runs } { $runs ->
    [one] run
   *[other] runs
    } of installation { $installation } taken over: this installation's retention prunes them from now on
cli-adopt-handed-over = the catalog of installation { $installation } now marks the taken runs as handed over
cli-adopt-handover-failed = the catalog of installation { $installation } could not be marked ({ $error }); the takeover stands

# A command line that cannot be run (printed before the usage).
cli-usage-unknown-command = unknown command "{ $command }"
cli-usage-unknown-option = unknown option { $option }
cli-usage-option-needs-value = { $option } needs a value
cli-usage-option-takes-no-value = { $option } takes no value
cli-usage-unexpected-argument = unexpected argument "{ $argument }"
cli-usage-run-id = expected a run id (a number), got "{ $got }"
cli-usage-job-name = { $command } needs a job name
cli-usage-restore-target = restore needs exactly one of --to <source> or --file <path>
cli-usage-restore-needs-to = --replace and --new-database need --to <source>
cli-usage-restore-replace-or-new = choose one of --replace or --new-database
cli-usage-adopt-chat = adopt needs a chat id (-100…) or @username, got "{ $got }"
cli-usage-config-import-file = config import needs a YAML file
cli-usage-config-command = unknown config command "{ $got }" (use export or import)
