# Restore drills and anomaly alerts (issue 14).

## A successful run that looks wrong: kept, marked ⚠️, admins alerted.
run-success-anomaly =
    ⚠️ Backup done, but it looks wrong: { $job }
    { $reasons }
    File: { $file }
    Size: { $size } · { $parts } { $parts ->
        [one] part
       *[other] parts
    } · { $duration }
    sha256: { $sha }
    The run is kept; check the source.
anomaly-zero-tables = the dump holds no table at all
anomaly-size-low = size { $size } is far below the median ({ $median }) of the last { $runs } runs
anomaly-size-high = size { $size } is far above the median ({ $median }) of the last { $runs } runs
anomaly-tables-gone = tables fell from { $before } to { $now }; missing: { $tables }
anomaly-rows-drop = rows dropped sharply in { $tables }
anomaly-files-changed = { $count } file(s) changed while they were read, so their copies may mix old and new content: { $files }
cli-run-anomaly = ⚠️ anomaly: { $reason }

## Drill results ($differences: one "• …" line each).
drill-passed =
    ✅ Restore drill passed: { $job }
    Run #{ $run } of { $at } restored into a scratch database: { $tables } { $tables ->
        [one] table
       *[other] tables
    }, row counts as recorded at dump time.
    Drill: { $duration } · a real restore would take about { $restore }
drill-passed-files =
    ✅ Restore drill passed: { $job }
    Run #{ $run } of { $at } restored into a temporary folder: { $files } { $files ->
        [one] file
       *[other] files
    }, as recorded at dump time.
    Drill: { $duration } · a real restore would take about { $restore }
drill-passed-uncounted =
    ✅ Restore drill passed: { $job }
    Run #{ $run } of { $at } restored into a throw-away copy: { $tables } { $tables ->
        [one] table
       *[other] tables
    }. The run recorded no row counts (its format cannot be counted while it is dumped): the restore was proven, the contents were not compared.
    Drill: { $duration } · a real restore would take about { $restore }
drill-partial =
    ☑️ Restore drill (partial): { $job }
    Run #{ $run } of { $at }: every part fetched from its destinations and its sha256 checked; the age header names { $recipients } { $recipients ->
        [one] recipient
       *[other] recipients
    }, as expected.
    The server cannot decrypt a backup encrypted to age recipients, so it was not restored. For a full drill give the job a drill identity (drill.identity).
    Drill: { $duration }
drill-failed =
    ❌ Restore drill FAILED: { $job }
    Run #{ $run } of { $at }:
    { $differences }
    Drill: { $duration }
drill-error =
    ❌ Restore drill FAILED: { $job }
    Run #{ $run } of { $at }: { $error }
    Drill: { $duration }

## Bot
drill-button = 🧪 Drill now
drill-started = 🧪 Restore drill of { $job } started…
drill-none = { $job } has no successful run to drill yet.
drill-card-line = Drill: { $schedule }
drill-card-off = Drill: off
drill-last-proven = Last proven restorable: { $date }
drill-never-proven = Last proven restorable: never

## /newjob
conv-job-drill = Restore drills: restore the newest backup into a throw-away database or folder on a schedule and compare it with what was dumped? (Off by default; "🧪 Drill now" on the job card always works.)
conv-drill-off = Off
conv-drill-weekly = Weekly (Sunday 04:00)
conv-job-field-drill = Restore drills
conv-summary-drill-off = Restore drills: off (✏️ Change a setting → Restore drills to drill weekly)
conv-summary-drill-on = Restore drills: weekly (Sunday 04:00)
