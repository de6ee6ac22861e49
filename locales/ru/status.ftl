## /status: the headline counts the same states the list shows (one per job)
status-headline-ok = 📊 Заданий: { $count }, все копируются вовремя.
status-headline-attention = 📊 Заданий: { $count } · требуют внимания: { $attention }, в порядке: { $ok }
  { $states }
status-count-failed = { $icon } с ошибкой: { $count }
status-count-lost = { $icon } с потерянными копиями: { $count }
status-count-unverified = { $icon } не проверены: { $count }
status-count-stale = { $icon } просрочены: { $count }
status-count-skew = { $icon } ошибка часов: { $count }
status-count-disabled = { $icon } отключены: { $count }
status-last-next = Последний: { $icon } { $status }, { $when } · следующий: { $next }
status-never-next = Последний: ещё не запускалось · следующий: { $next }
status-proof = 🛟 восстановление проверено: { $proven } · 🔍 копии перепроверены: { $checked }
status-proof-never = ни разу
status-lost = 🧩 Потеряно сохранённых копий: { $count } (запуски { $runs }), подробности в /logs
status-legend = Полоса: последние результаты, старые слева. ✅ успешно · ⚠️ не проверено или подозрительно · ❌ ошибка · 🧪 учения пройдены · 🧨 учения провалены

## Weekly digest (opt-in per destination chat)
digest-btn-settings = 📬 Недельная сводка
digest-settings = 📬 Недельная сводка: раз в неделю одно сообщение в чат — запуски, объёмы, ошибки, учения и перепроверки его заданий. Нажмите на чат, чтобы включить или выключить сводку.
digest-settings-empty = 📬 Сводка приходит в чаты Telegram-хранилищ, а их пока нет.
digest-btn-on = ✅ { $name }
digest-btn-off = ▫️ { $name }
digest-toggled-on = Недельная сводка включена
digest-toggled-off = Недельная сводка выключена
digest-title = 📬 Неделя { $from } – { $until } ({ $zone })
digest-runs = Запуски: { $runs } (✅ { $ok } · ⚠️ { $warned } · ❌ { $failed }) · сохранено { $size }
digest-drills = Учения по восстановлению: { $drills } (🧪 пройдено { $passed } · 🧨 провалено { $failed })
digest-drills-none = Учений по восстановлению на этой неделе не было
digest-watchdog = Сторож: перепроверено копий: { $checked }, потерь нет
digest-watchdog-lost = Сторож: перепроверено копий: { $checked } · 🧩 потеряно: { $lost }
digest-job = { $icon } { $job }: запусков { $runs }{ $failed ->
    [0] {""}
   *[other] , с ошибкой { $failed }
  }, { $size }
digest-more = … и ещё { $count }
digest-no-jobs = В этот чат не копирует ни одно задание.

## Channel watchdog
watchdog-alert-store-missing = 🛑 Получатель «{ $destination }»: в папке { $path } нет ни метки, которую оставил в ней tele-backup, ни последних копий, записанных туда. Подключён ли диск? Его копии не проверены (пропавшими они не считаются), а резервные копии туда не записываются, пока диск не вернётся. Если вы очистили папку намеренно, создайте в ней файл .tele-backup-destination.
watchdog-alert-lost = 🧩 { $job }, запуск #{ $run }: { $reason ->
    [missing] сохранённые копии пропали
   *[corrupt] сохранённые копии больше не совпадают с контрольными суммами
  }: { $copies }.
  { $restorable ->
    [yes] Запуск по-прежнему можно восстановить из { $from }.
   *[no] Целой копии каждой части не осталось: этот запуск восстановить уже нельзя. Следующее копирование создаст новую.
  }
logs-watchdog-lost = 🧩 Сторож: потеряно сохранённых копий: { $count }
logs-drill-passed = 🧪 Учения пройдены, { $when }
logs-drill-partial = 🧪 Учения подтвердили копию до расшифровки, { $when }
logs-drill-failed = 🧨 Учения провалены, { $when }
