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
    ⚠️ Tele-Backup restarted after an unclean stop. These runs were interrupted and recorded as such: { $runs }
alert-deadman =
    🚨 No successful backup of { $job } since { $since }. Expected one at least every { $interval }.
alert-recovered =
    ✅ { $job } is backing up again (last success { $at }).
