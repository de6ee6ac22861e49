# The command line (tele-backup <command>).

cli-usage =
    Usage: tele-backup <command> [options]

    Commands:
      run                                    apply migrations, then run the bot and the scheduler (npm start)
      health                                 exit 0 while the scheduler's heartbeat is fresh (Docker HEALTHCHECK)
      backup <job> [--json]                  run one job now, print the result (exit 0 on success, 1 on failure)
      restore <run-id> --to <source>         verify a run's parts, then load it into a source
      restore <run-id> --file <path>         verify a run's parts, then write the plain dump to a new file
          {"["}--identity <file>]                age identity file for runs encrypted to recipients
      verify <run-id>                        download every stored part of a run and check its sha256
      config export [file] [--with-secrets]  write all sources, destinations and jobs as YAML
      config import <file>                   validate and upsert sources, destinations and jobs from YAML
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
cli-verify-failed = run { $run }: FAILED
cli-exported = configuration written to { $file }
cli-exported-secrets = configuration written to { $file } (with secrets: keep it safe)
cli-imported = imported { $file }: { $summary }
cli-import-invalid = { $file }: { $count ->
    [one] 1 error
   *[other] { $count } errors
  }, nothing was changed
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
