# The bot's screens, commands and answers (src/bot/). Grouped by feature.
# Guided dialogs (/newsource, /newdest, /newjob) have their own file.

## Command menu (setMyCommands) and /help
cmd-start = Welcome and first steps
cmd-help = All commands
cmd-newsource = Add a database, volume or folder to back up
cmd-newdest = Add a Telegram chat or a local folder for backups
cmd-newjob = Create a backup job (what, where, when)
cmd-sources = List sources
cmd-destinations = List destinations
cmd-jobs = List jobs: run, pause, schedule, history
cmd-runnow = Run a job now: /runnow [job]
cmd-logs = Run history: /logs [job]
cmd-status = Every job at a glance
cmd-restore = Restore a backup
cmd-adopt = Import the backups a channel's catalog lists (new server)
cmd-lang = Change the language
cmd-cancel = Cancel what you are doing

help-title = 🤖 Tele-Backup commands
help-footer = Passwords never need to be typed in the chat: every secret prompt accepts env:NAME or file:/run/secrets/name instead.

## /start
start-welcome = 👋 Hello, { $name }! I back up your databases, volumes and folders and deliver the files to Telegram.
start-first-steps =
    Let's set up your first backup:
    1. /newsource — what to back up
    2. /newdest — where the files go
    3. /newjob — when, and how (compression, encryption)
    Then /runnow to try it. /help lists every command.
start-overview =
    { $jobs } { $jobs ->
        [one] job
       *[other] jobs
    }, { $sources } { $sources ->
        [one] source
       *[other] sources
    }, { $destinations } { $destinations ->
        [one] destination
       *[other] destinations
    }.
    /status shows how they are doing; /help lists every command.

## Access
auth-refused = Sorry, this is a private bot: only its administrators can use it. (Your Telegram id is { $id }.)

## Common buttons and errors
btn-back = ◀ Back
btn-back-list = ◀ Back to the list
btn-done = ✔ Done
btn-delete = 🗑 Delete
btn-delete-yes = 🗑 Yes, delete
btn-delete-no = ✖ No, keep it
btn-open-job = 🗂 Job
btn-history = 📜 History

error-generic = ⚠️ Something went wrong while handling that. It has been logged; please try again.
error-not-found = This no longer exists (it may have been deleted). Open the list again.
error-in-use = ⛔ "{ $name }" cannot be deleted: it is used by { $jobs }. Delete those jobs or change them first.
error-invalid =
    ⛔ That was refused:
    { $details }
error-failed = ⚠️ That did not work: { $reason }

secret-none = none
secret-hidden = set (hidden)
card-used-by = Used by: { $jobs }
card-unused = Not used by any job.

fmt-duration-ms = { $ms } ms
fmt-duration-s = { $s } s
fmt-duration-m = { $m } min { $s } s
fmt-duration-h = { $h } h { $m } min

## /lang
lang-name = English
lang-pick = Choose your language:
lang-changed = ✅ I will speak English with you from now on.
lang-unknown = I don't speak that language yet. Available: { $langs }.

## /cancel
cancel-done = ✖ Cancelled.
cancel-nothing = There was nothing to cancel.

## Sources
sources-title = 🗄 Sources ({ $count }). Tap one for details; /newsource adds another.
sources-empty = No sources yet. Add one with /newsource.
sources-card-head = { $icon } Source: { $name } ({ $kind })
sources-card-db =
    Server: { $host }:{ $port }
    Database: { $database }
    User: { $user }
sources-card-password = Password: { $password }
sources-card-path = Path: { $path }
sources-card-exclude = Left out: { $patterns }
sources-card-volume = Docker volume: { $volume }
sources-delete-confirm = Delete the source "{ $name }"? Backups already made stay where they are.
sources-deleted = 🗑 Source "{ $name }" deleted.

## Destinations
dests-title = 📮 Destinations ({ $count }). Tap one for details; /newdest adds another.
dests-empty = No destinations yet. Add one with /newdest.
dests-card-head = { $icon } Destination: { $name } ({ $kind })
dests-card-chat = Chat: { $chat }
dests-card-thread = Topic: { $thread }
dests-card-token = Bot: { $token }
dests-card-main-bot = this bot
dests-card-path = Folder: { $path }
dests-delete-confirm = Delete the destination "{ $name }"? Files already delivered stay there.
dests-deleted = 🗑 Destination "{ $name }" deleted.

## Jobs
jobs-title = 🗂 Jobs ({ $count }). Tap one to run it, pause it or change it; /newjob adds another.
jobs-empty = No jobs yet. Create one with /newjob (you need a source and a destination first).
jobs-unknown = There is no job called "{ $name }". /jobs lists them.
job-card =
    🗂 Job: { $job } — { $state }
    Source: { $source } ({ $kind })
    Destinations: { $destinations }
    Schedule: { $schedule } ({ $timezone })
    Next run: { $next }
    Format: { $format } · compression: { $compression } · encryption: { $encryption }
    Part size: { $partSize }
    Last result: { $last }
job-state-enabled = enabled
job-state-disabled = ⏸ disabled
job-next-disabled = none (the job is disabled)
job-next-none = none (the schedule never fires again)
job-next-invalid = invalid schedule: { $reason }
job-last-never = never ran yet
job-encryption-none = none
job-encryption-passphrase = age passphrase
job-encryption-recipients = age, { $count } { $count ->
    [one] recipient
   *[other] recipients
  }
job-btn-run = ▶ Run now
job-btn-enable = ✅ Enable
job-btn-disable = ⏸ Disable
job-btn-schedule = 🕒 Edit schedule
job-btn-destinations = 📮 Edit destinations
job-btn-history = 📜 History
job-btn-delete = 🗑 Delete
job-enabled-toast = Enabled: the job runs on its schedule again.
job-disabled-toast = Disabled: the job will not run on its schedule.
job-delete-confirm = Delete the job "{ $job }"? Its schedule stops; its run history and the backups already made stay.
job-deleted = 🗑 Job "{ $job }" deleted.
job-deleted-toast = Deleted.

## Edit schedule
schedule-preset-hourly = Every hour
schedule-preset-6h = Every 6 hours
schedule-preset-daily = Daily…
schedule-preset-weekly = Sundays…
schedule-preset-monthly = Monthly, on the 1st…

## Run now and live progress
runnow-pick = Which job should run now?
runnow-started-toast = Starting…
runnow-busy = ⏳ "{ $job }" is already running or waiting to run. Its result will be posted when it finishes.
runnow-stopping = ⏹ "{ $job }" cannot start now: Tele-Backup is shutting down.
progress-starting = ⏳ Backup of { $job }: starting…
progress-dumping = ⏳ Backup of { $job }: dumping… { $raw } read, { $payload } after compression
progress-uploading = ⏳ Backup of { $job }: uploading part { $part } of { $total } · { $sent } sent ({ $raw } read)
progress-manifest = ⏳ Backup of { $job }: { $parts } { $parts ->
    [one] part
   *[other] parts
  } uploaded ({ $payload }), writing the manifest…
progress-verifying = ⏳ Backup of { $job }: reading { $parts } { $parts ->
    [one] part
   *[other] parts
  } back to verify them ({ $payload })…
progress-finishing = ⏳ Backup of { $job }: finishing ({ $payload })…
progress-success =
    ✅ Backup done: { $job } (run #{ $run })
    File: { $file }
    Size: { $size } ({ $raw } before compression) · { $parts } { $parts ->
        [one] part
       *[other] parts
    } · { $duration }
    Verified: { $verified ->
        [yes] yes, read back after upload
       *[no] no
    }
progress-failed =
    ❌ Backup FAILED: { $job } (run #{ $run }, after { $duration })
    Reason: { $reason }
progress-interrupted =
    ⚠️ Backup interrupted: { $job } (run #{ $run }, after { $duration })
    Reason: { $reason }
progress-error =
    ❌ Could not run { $job }: { $reason }

## History (/logs)
logs-title = 📜 Recent runs, newest first
logs-title-job = 📜 Runs of { $job }, newest first
logs-empty = No runs yet. /runnow starts one.
logs-empty-job = { $job } has not run yet. /runnow { $job } starts it.
logs-page-empty = No older runs.
logs-run-head = #{ $run } · { $job } · { $trigger }
logs-run-parts = { $parts } { $parts ->
    [one] part
   *[other] parts
  } · { $file }
logs-run-expired = (removed by retention)
run-summary = { $icon } { $status } · { $when } · { $size } · { $duration }
run-error-line = ↳ { $error }
run-status-success = success
run-status-failed = failed
run-status-interrupted = interrupted
run-status-running = running
trigger-schedule = scheduled
trigger-manual = run now
trigger-cli = command line
trigger-startup = catch-up at start

## /status
status-job-head = { $icon } { $job }
status-running = ⏳ running now
status-queued = ⏳ waiting to run
status-warn-never = ⚠️ No successful backup yet.
status-warn-stale = ⚠️ No successful backup since { $since }.

## /restore
restore-pick-job = ♻️ Restore: which job's backup?
restore-no-runs = { $job } has no successful backup that can be restored.
restore-pick-run = ♻️ Restore { $job }: which backup?
restore-run-button = #{ $run } · { $when } · { $size }
restore-run-gone = That backup cannot be restored any more (it failed, expired or was deleted). Start again with /restore.
restore-pick-target =
    ♻️ Backup #{ $run } of { $job } ({ $when }, { $kind }).
    Where should it go?
restore-target-original = ↩ { $name } (the original source)
restore-target-source = → { $name }
restore-target-file = 📎 Send me the file
restore-confirm =
    ⚠️ Restoring backup #{ $run } of { $job } into "{ $target }" REPLACES what is there now: its current data is dropped, in one step, once the backup has loaded completely (after any failure it stays as it is). A new database beside it keeps the current data — go back to choose that.
    To go ahead, type the name of the target exactly: { $target }
    /cancel stops here.
restore-confirm-mismatch = That is not the target's name. Type { $target } exactly to restore, or /cancel.
restore-identity-prompt = 🔑 Backup #{ $run } is encrypted to an age public key. Send the private key (AGE-SECRET-KEY-1…) to decrypt it. I delete your message at once and keep the key only for this restore. /cancel stops here.
restore-identity-invalid = That is not an age private key (it starts with AGE-SECRET-KEY-1). I deleted your message; send the key again, or /cancel.
restore-file-too-big = 📎 Backup #{ $run } is { $size } once restored, more than the { $limit } a bot may send. Restore it on the server instead: tele-backup restore { $run } --file <path>
restore-file-chosen = 📎 Preparing backup #{ $run } as { $file }…
restore-progress-starting = ♻️ Restoring #{ $run } → { $target }: starting…
restore-progress-downloading = ♻️ Restoring #{ $run } → { $target }: downloading parts { $bytes } of { $total }…
restore-progress-checking = ♻️ Restoring #{ $run } → { $target }: checking parts { $bytes } of { $total }…
restore-progress-loading = ♻️ Restoring #{ $run } → { $target }: loading { $bytes } of { $total }…
restore-progress-finishing = ♻️ Restoring #{ $run } → { $target }: finishing…
restore-done = ✅ Restored backup #{ $run } of { $job } into "{ $target }" ({ $size }).
restore-sending = ✅ Backup #{ $run } restored as { $file } ({ $size }); sending it…
restore-file-caption = Backup #{ $run } of { $job }
restore-failed =
    ❌ Restore of backup #{ $run } into "{ $target }" failed: { $reason }

## Anything else
unhandled-button = This button is no longer active. Open the screen again.
unhandled-command = I don't know that command. /help lists what I can do.
unhandled-message = I'm not sure what you mean. /help lists what I can do.

## Restore from every copy; passphrases kept with each run (issue 9, items 6 and 8)
restore-passphrase-prompt = 🔑 { $reason ->
    [wrong] The passphrase kept with backup #{ $run } does not open it (it was probably changed since).
   *[other] The passphrase of backup #{ $run } is not available here (its reference cannot be resolved).
  } Send the passphrase the backup was made with. I delete your message at once and keep it only for this restore. /cancel stops here.
restore-passphrase-wrong = That passphrase does not open backup #{ $run }. I deleted your message; send the right one, or /cancel.
restore-skipped-copies =
    ⚠️ Some stored copies were damaged or unreachable; the restore took those parts from another destination:
    { $copies }
restore-skipped-copy = • { $destination }, part { $part }: { $status ->
    [corrupt] corrupt (sha256 does not match)
    [unreadable] cannot be read back
    [too-big] too big to download through this API
   *[missing] missing
  }

## Honest status and clock-proof retention (issue 9, items 4 and 5)
run-status-unverified = stored, NOT verified
status-warn-unverified = ⚠️ Run #{ $run } was not read back in full: this tool cannot promise to restore it.
status-warn-clock-skew = ⏰ Pruning paused: clock error in runs { $runs }. Check the host's clock.
status-btn-clock-ok = ✅ Clock is right: resume pruning of { $job }
clock-skew-confirmed = ✅ Noted: the clock is right. Pruning of { $job } resumes with its next backup; the runs with a wrong time are ordered by when they ran.
clock-skew-nothing = Pruning of { $job } is not paused: there is nothing to confirm.
progress-success-unverified =
    ⚠️ Backup stored but NOT verified: { $job } (run #{ $run })
    File: { $file }
    Size: { $size } ({ $raw } before compression) · { $parts } { $parts ->
        [one] part
       *[other] parts
    } · { $duration }
    Not every part could be read back after upload, so this tool cannot promise to restore it. Lower the job's part size to 19MiB (cloud Bot API) or use a self-hosted Bot API server.

## /restore targets: a new database first, replacing second
restore-target-new-database = 🆕 New database { $database } (beside { $name })
restore-target-replace-original = ♻️ Replace { $name } (the original source)
restore-target-replace = ♻️ Replace { $name }
restore-new-database-chosen = 🆕 Restoring backup #{ $run } into the new database { $database } on the server of "{ $name }". Nothing that exists now is touched. If anything fails, the new database is removed again; it counts as restored only when the ✅ below says so.

## /adopt (issue 12): import a chat's pinned catalog
adopt-ask-chat = Which chat holds the backups? Forward any post of that channel to me, or send its id (-100…) or @username.
adopt-unavailable = Adopting needs BOT_TOKEN: the chat is read through the bot that posted the backups.
adopt-failed = ❌ Could not read the chat's catalog: { $error }
adopt-summary = 🗂 Catalog of chat { $chat }, written { $written }: { $jobs } { $jobs ->
        [one] job
       *[other] jobs
    }, { $runs } { $runs ->
        [one] run
       *[other] runs
    }.
adopt-job-new = • job { $job } ({ $kind }): created disabled; to set before enabling: { $secrets }
adopt-job-exists = • job { $job }: exists here already, kept as it is
adopt-run = #{ $run } { $job } · { $date } · { $size } · { $state ->
        [complete] ✅ complete
        [unverified] ⚠️ complete, not verified when made
       *[incomplete] ❌ parts missing
    }{ $imported ->
        [yes] {" "}· already imported
       *[other] {""}
    }
adopt-secret-password = the password of source "{ $source }"
adopt-secret-passphrase = the job's passphrase
adopt-btn-import = 📥 Import
adopt-btn-cancel = ✖ Cancel
adopt-cancelled = Nothing was imported.
adopt-done = ✅ Imported { $runs } { $runs ->
        [one] run
       *[other] runs
    } ({ $skipped } already here) with destination "{ $destination }". Jobs created disabled: { $jobs }. Restore them with /restore.
adopt-needs-secrets = 🔐 { $job } stays disabled until { $secrets } is set (config import, then enable it in /jobs).
adopt-btn-secrets = 🔐 Set the secrets of { $job }
adopt-ask-password = 🔐 Send the password of source "{ $source }" (job { $job }), or a reference such as env:DB_PASSWORD or file:/run/secrets/db. I delete your message at once. /cancel stops here.
adopt-ask-passphrase = 🔐 Send the passphrase of job { $job } (its backups were encrypted with it), or a reference such as env:BACKUP_PASSPHRASE. I delete your message at once. /cancel stops here.
adopt-passphrase-wrong = That passphrase does not open backup #{ $run } of { $job }: nothing was stored. Send the right one, or /cancel.
adopt-job-enabled = ✅ { $job } has its secrets and is enabled again.
adopt-other-catalog = • also here: the catalog of installation { $installation } ({ $runs } { $runs ->
    [one] run
   *[other] runs
    })
adopt-btn-take-over = 📥 Import and take over (the old host is gone)
adopt-taken-over = 🔁 { $runs } { $runs ->
    [one] run
   *[other] runs
    } of installation { $installation } taken over: this installation's retention deletes them when they are due.
adopt-handover-failed = ⚠️ The catalog of installation { $installation } could not be marked as handed over ({ $error }); the takeover stands.

## Truthful screens and restores that can succeed (issue 13, items 2 and 3)
screen-times-zone = 🕒 Times in { $zone }
run-status-cancelled = cancelled
progress-uploading-first = ⏳ Backup of { $job }: uploading part { $part } · { $sent } sent ({ $raw } read)
progress-waiting = ⏸ Telegram asked to wait { $seconds } s before the next try.
progress-queued = ⏳ Backup of { $job }: queued behind { $behind }; it starts when they finish.
progress-cancelled =
    ⏹ Backup cancelled: { $job } (run #{ $run }, after { $duration })
    The parts it had stored were removed.
btn-stop = ⏹ Stop
stop-toast-running = Stopping…
stop-toast-queued = Removed from the queue.
stop-toast-none = Nothing to stop: the job is not running.
runnow-cancelled = ⏹ Backup of { $job } was removed from the queue before it started.
restore-deleted-jobs-button = 🗑 Deleted jobs ({ $count })
restore-deleted-title = 🗑 Deleted jobs: their backups can still be restored. Which job?
restore-deleted-none = No deleted job left a backup that can be restored.
restore-deleted-job-button = 🗑 { $job } · { $count } { $count ->
    [one] backup
   *[other] backups
  }
restore-deleted-job-name = { $job } (deleted)
restore-target-new-file = 🆕 New file { $file } (beside { $name })
restore-new-file-chosen = 🆕 Restoring backup #{ $run } into the new file { $file }, beside the file of "{ $name }". Nothing that exists now is touched; it counts as restored only when the ✅ below says so.
restore-confirm-sqlite =
    ⚠️ Restoring backup #{ $run } of { $job } into "{ $target }" REPLACES its database file: the backup is written beside it and checked first, then takes the old file's place in one step (after any failure the old file stays as it is). A new file beside it keeps the current data — go back to choose that.
    To go ahead, type the name of the target exactly: { $target }
    /cancel stops here.
run-actions-title = Backup #{ $run } of { $job }
run-action-restore = ♻️ Restore…
run-action-verify = 🔍 Verify (read every copy back)
run-verify-started = 🔍 Verifying backup #{ $run }: reading every stored copy back…
run-verify-ok = ✅ Backup #{ $run }: all { $checked } stored copies read back intact.
run-verify-restorable =
    ⚠️ Backup #{ $run } can still be restored (every part has an intact copy), but some copies are not intact:
    { $copies }
run-verify-broken =
    ❌ Backup #{ $run } cannot be restored: some parts have no intact copy.
    { $copies }
run-verify-failed = ❌ Could not verify backup #{ $run }: { $reason }
logs-run-actions-button = #{ $run } ⋯
logs-deleted-button = 🗑 Deleted jobs
logs-deleted-title = 🗑 Deleted jobs: their history stays. Which job?
logs-deleted-none = No deleted job left any runs.
logs-deleted-job-button = 🗑 { $job }
logs-title-deleted-job = 📜 Runs of { $job } (deleted job), newest first
