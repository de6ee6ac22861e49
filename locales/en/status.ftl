## /status: the headline counts the same states the list shows (one per job)
status-headline-ok = 📊 { $count } { $count ->
    [one] job
   *[other] jobs
  }, all backing up on time.
status-headline-attention = 📊 { $count } { $count ->
    [one] job
   *[other] jobs
  } · { $attention } { $attention ->
    [one] needs
   *[other] need
  } attention, { $ok } on time
  { $states }
status-count-failed = { $icon } { $count } failed
status-count-lost = { $icon } { $count } with lost copies
status-count-unverified = { $icon } { $count } not verified
status-count-stale = { $icon } { $count } overdue
status-count-skew = { $icon } { $count } clock error
status-count-disabled = { $icon } { $count } disabled
status-last-next = Last: { $icon } { $status }, { $when } · next: { $next }
status-never-next = Last: never ran · next: { $next }
status-proof = 🛟 restore proven: { $proven } · 🔍 copies re-checked: { $checked }
status-proof-never = never
status-lost = 🧩 { $count } stored { $count ->
    [one] copy
   *[other] copies
  } lost (runs { $runs }): see /logs
status-legend = Strip: last results, oldest first. ✅ ok · ⚠️ not verified or looks wrong · ❌ failed · 🧪 drill passed · 🧨 drill failed

## Weekly digest (opt-in per destination chat)
digest-btn-settings = 📬 Weekly digest
digest-settings = 📬 Weekly digest: once a week, one message into the chat summing up runs, sizes, failures, drills and re-checks of its jobs. Tap a chat to turn it on or off.
digest-settings-empty = 📬 The weekly digest goes to Telegram destinations; there are none yet.
digest-btn-on = ✅ { $name }
digest-btn-off = ▫️ { $name }
digest-toggled-on = Weekly digest on
digest-toggled-off = Weekly digest off
digest-title = 📬 Week { $from } – { $until } ({ $zone })
digest-runs = Runs: { $runs } (✅ { $ok } · ⚠️ { $warned } · ❌ { $failed }) · stored { $size }
digest-drills = Restore drills: { $drills } (🧪 { $passed } passed · 🧨 { $failed } failed)
digest-drills-none = Restore drills: none this week
digest-watchdog = Watchdog: { $checked } stored { $checked ->
    [one] copy
   *[other] copies
  } re-checked, none lost
digest-watchdog-lost = Watchdog: { $checked } stored { $checked ->
    [one] copy
   *[other] copies
  } re-checked · 🧩 { $lost } lost
digest-job = { $icon } { $job }: { $runs } { $runs ->
    [one] run
   *[other] runs
  }{ $failed ->
    [0] {""}
   *[other] , { $failed } failed
  }, { $size }
digest-more = … and { $count } more
digest-no-jobs = No jobs deliver to this chat.

## Channel watchdog
watchdog-alert-store-missing = 🛑 Destination "{ $destination }": the folder { $path } holds neither the mark tele-backup left in it nor the newest backups recorded there. Is its disk mounted? Its copies were not checked (they are not counted as lost), and backups to it are refused until it is back. If you emptied the folder on purpose, create the file .tele-backup-destination in it.
watchdog-alert-lost = 🧩 { $job }, run #{ $run }: { $reason ->
    [missing] stored copies are gone
   *[corrupt] stored copies no longer match their checksums
  }: { $copies }.
  { $restorable ->
    [yes] The run is still restorable from { $from }.
   *[no] No intact copy is left for every part: this run can no longer be restored. The next backup makes a new one.
  }
logs-watchdog-lost = 🧩 Watchdog: { $count } stored { $count ->
    [one] copy
   *[other] copies
  } lost
logs-drill-passed = 🧪 Drill passed, { $when }
logs-drill-partial = 🧪 Drill proved it up to decryption, { $when }
logs-drill-failed = 🧨 Drill failed, { $when }
