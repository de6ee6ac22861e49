# Messages the backup engine posts: part captions, run results, alerts.

part-caption = 📦 { $job } · part { $index }{ $last ->
    [yes] /{ $index } (last)
   *[no] {""}
  } · { $size } · sha256 { $sha }
manifest-caption = 🧾 { $job } · manifest · { $parts } { $parts ->
    [one] part
   *[other] parts
  } · { $size }
    Restore: { $recipe }

run-success =
    ✅ Backup done: { $job }
    File: { $file }
    Size: { $size } · { $parts } { $parts ->
        [one] part
       *[other] parts
    } · { $duration }
    sha256: { $sha }
    Verified: { $verified ->
        [yes] yes, read back from Telegram
       *[no] no
    }
run-failed =
    ❌ Backup FAILED: { $job }
    Run: #{ $run }
    Reason: { $reason }
run-interrupted =
    ⚠️ Backup interrupted: { $job }
    Run: #{ $run }
    Reason: { $reason }

destination-probe = Tele-Backup connection test: this message is deleted right away.

alert-interrupted =
    ⚠️ Tele-Backup restarted after an unclean stop and finished what the stopped process left behind.
    Runs interrupted (recorded as such): { $runs }
    Restores interrupted (their temporary files removed): { $restores }
    Containers started again: { $containers }
    Containers that could not be started: { $stillStopped }
    Hook commands the interrupted runs left running, stopped: { $stoppedHooks }
    Hooks the interrupted runs owed, run now (on_failure, then after; see the log): { $hooks }
    Helper containers removed: { $helpers }
    Temporary folders and files removed: { $files }
    Unfinished uploads aborted: { $uploads }
    Destinations where unfinished uploads could not be aborted (see the log): { $uploadsUnchecked }
    Volumes of interrupted restores removed (they held part of a backup): { $volumes }
    Volumes and folders of interrupted restores that could not be repaired: { $volumesKept }
    Existing volumes an interrupted restore was filling, emptied again: { $volumesCleared }
    Existing volumes and folders an interrupted restore was moving the backup into, finished (they hold the backup): { $restoresFinished }
alert-deadman =
    🚨 No successful backup of { $job } since { $since }. Expected one at least every { $interval }.
alert-recovered =
    ✅ { $job } is backing up again (last success { $at }).

## Honest success and clock-proof retention (issue 9, items 4 and 5)
run-success-unverified =
    ⚠️ Backup stored but NOT verified: { $job }
    File: { $file }
    Size: { $size } · { $parts } { $parts ->
        [one] part
       *[other] parts
    } · { $duration }
    sha256: { $sha }
    Not every part could be read back after upload, so this tool cannot promise to restore this backup. Keep every part within what the destination hands back (cloud Bot API: part_size 19MiB at most) or use a self-hosted Bot API server.
alert-clock-skew =
    ⏰ Clock error in the run history of { $job }: pruning of { $job } is paused, none of its backups will be deleted.
    The clock now says { $now }. These runs disagree with it:
    { $runs }
    Check the host's clock (NTP). When it is right, press the button below and pruning resumes with the next backup.
clock-skew-run-ahead = • run #{ $run } started { $at }, { $offset } in the future
clock-skew-run-behind = • run #{ $run } started { $at }, { $offset } before run #{ $ref }, which came before it
clock-skew-more = • … and { $count } more
clock-skew-days = { $days } { $days ->
    [one] day
   *[other] days
  }
clock-skew-hours = { $hours } { $hours ->
    [one] hour
   *[other] hours
  }
clock-skew-confirm-button = ✅ The clock is right: resume pruning

## Crash recovery (issue 11, items 1 and 2): final texts of progress messages a dead process left behind
progress-interrupted-crash =
    ⚠️ { $job }: run #{ $run } was interrupted during { $phase }: the process stopped (crash, kill or power loss). Found and recorded at { $at }.
restore-interrupted-crash =
    ⚠️ Restore of run #{ $run } into { $target } was interrupted: the process stopped (crash, kill or power loss). Its temporary files were removed at { $at }.

# Catalog and adopt (issue 12)
catalog-caption = 🗂 Tele-Backup catalog · { $runs } { $runs ->
    [one] run
   *[other] runs
  } · { $jobs } { $jobs ->
    [one] job
   *[other] jobs
  }
    Keep this message pinned: a new server finds every backup here with `tele-backup adopt`.
alert-catalog-recreated =
    ⚠️ The catalog of { $destination } (chat { $chat }) was no longer the chat's pinned message (unpinned, deleted or pinned over). It is published and pinned again; keep it pinned, a new server finds the backups through it.
alert-catalog-refused =
    ⚠️ The catalog of { $destination } (chat { $chat }) cannot be published: { $error }
    Without it a new server cannot find these backups (tele-backup adopt). Let the bot edit (pin) messages in that chat; backups go on meanwhile.

## Mirror chat (issue 12, item 4)
mirror-caption = 🪞 { $job } · mirror copy of { $name }
alert-mirror-failed =
    ⚠️ The run of { $job } could not be copied to the mirror chat of { $destination }: { $error }
    The backup itself is complete in its main chat; the next run is copied again.
alert-mirror-still-failing =
    ⚠️ The mirror chat of { $destination } still gets no copies of { $job }: { $count } runs in a row since { $since }
    Latest reason: { $error }
    Each backup itself is complete in its main chat; every run is copied again.
alert-mirror-recovered = ✅ The mirror chat of { $destination } has copies of { $job } again, after { $count } { $count ->
        [one] failed copy
       *[other] failed copies
    } since { $since }.
container-started-again = ▶️ Container { $container } is running again: backup run #{ $run } had stopped it and could not start it when it ended.
