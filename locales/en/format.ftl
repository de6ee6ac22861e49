# Sizes, for src/shared/format.ts (durations are the fmt-duration-* keys in bot.ftl). $n is a number:
# NUMBER gives it one decimal in the locale's way (1.5 / 1,5).
fmt-size-b = { $n } B
fmt-size-kib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } KiB
fmt-size-mib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } MiB
fmt-size-gib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } GiB
fmt-size-tib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } TiB
# A job's retention rule in words (the job's edit menu, the /newjob review), joined by ", ".
fmt-retention-keep_last = last { $n }
fmt-retention-keep_daily = { $n } daily
fmt-retention-keep_weekly = { $n } weekly
fmt-retention-keep_monthly = { $n } monthly
fmt-retention-max_age_days = at most { $n ->
        [one] { $n } day
       *[other] { $n } days
    } old
