# Размеры для src/shared/format.ts (длительности — ключи fmt-duration-* в bot.ftl). $n — число:
# NUMBER выводит его с одним знаком после запятой (1,5).
fmt-size-b = { $n } Б
fmt-size-kib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } КиБ
fmt-size-mib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } МиБ
fmt-size-gib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } ГиБ
fmt-size-tib = { NUMBER($n, minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: "min2") } ТиБ
# Правило хранения словами (меню правки задания, сводка /newjob), через запятую.
fmt-retention-keep_last = последние { $n }
fmt-retention-keep_daily = по дням: { $n }
fmt-retention-keep_weekly = по неделям: { $n }
fmt-retention-keep_monthly = по месяцам: { $n }
fmt-retention-max_age_days = не старше { $n } { $n ->
        [one] дня
       *[other] дней
    }
