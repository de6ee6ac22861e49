# Командная строка (tele-backup <команда>).

cli-usage =
    Использование: tele-backup <команда> [параметры]

    Команды:
      run                                    применить миграции и запустить бота и планировщик (npm start)
      health                                 код 0, пока пульс планировщика свежий (Docker HEALTHCHECK)
      backup <job> [--json]                  запустить задание сейчас и вывести результат (код 0 — проверено, 2 — сохранено, но не всё проверено чтением, 1 — ошибка)
      restore <run-id> --to <source> --new-database[=<name>]
                                             проверить части запуска и загрузить его в НОВУЮ базу на сервере
                                             источника (имя по умолчанию <db>_restored_<yyyymmdd_hhmm>)
      restore <run-id> --to <source> --replace
                                             то же в собственную базу источника: её содержимое заменяется
                                             одним шагом, когда всё загружено (без --replace — только в пустую)
      restore <run-id> --file <path>         проверить части запуска и записать дамп в новый файл
          {"["}--identity <file>]                файл ключа age для запусков, зашифрованных для получателей
          {"["}--passphrase-file <file>]         пароль, если сохранённый с запуском его не открывает
      verify <run-id>                        скачать все сохранённые части запуска и проверить их sha256
      drill <job>                            учебное восстановление: восстановить последний удачный запуск задания
                                             во временную цель, сравнить с подсчитанным при дампе, удалить цель
      config export [file] [--with-secrets]  выгрузить источники, получателей и задания в YAML
      config import <file>                   проверить и загрузить источники, получателей и задания из YAML
      adopt <chat> [--yes] [--take-over]     прочитать закреплённый в чате каталог (id или @username): показать задания и запуски,
                                             затем импортировать их (запуски можно восстанавливать, задания создаются выключенными;
                                             --take-over: с этого момента их удаляет политика хранения этой установки)
      discover [--add <n|name>]              показать контейнеры PostgreSQL, MariaDB/MySQL и Redis и именованные тома
                                             из Docker; --add проверяет подключение и сохраняет находку как источник
      migrate                                применить миграции базы и выйти
      help                                   показать эту справку

    Переменные окружения: см. README.md (ADMIN_IDS, MASTER_KEY, DATA_DIR, ... читает каждая команда).
cli-migrated = база данных в актуальном состоянии: { $path }
cli-run-status = запуск { $run }: { $status }
cli-run-job = задание:   { $job }
cli-run-file = файл:      { $file } (частей: { $parts })
cli-run-size = размер:    { $size } ({ $raw } до сжатия)
cli-run-sha = sha256:    { $sha }
cli-run-verified = проверено: { $verified ->
    [yes] да
   *[no] нет
  }
cli-run-error = ошибка:    { $error }
cli-run-duration = время:     { $duration }
cli-restored-file = запуск { $run } восстановлен в { $target } (данных { $size }, sha256 каждой части проверен)
cli-restored-source = запуск { $run } восстановлен в источник «{ $target }» (данных { $size }, sha256 каждой части проверен)
cli-verify-ok = запуск { $run }: всё в порядке — скачано файлов: { $count }, все sha256 совпадают
cli-verify-failed = запуск { $run }: ОШИБКА ПРОВЕРКИ — у какой-то части нет ни одной целой копии; этот запуск нельзя восстановить этой программой
cli-exported = конфигурация записана в { $file }
cli-exported-secrets = конфигурация записана в { $file } (с секретами: храните её надёжно)
cli-imported = загружено { $file }: { $summary }
cli-import-invalid = { $file }: ошибок: { $count }, ничего не изменено
cli-run-already-running = эту папку данных уже использует другой `tele-backup run` (pid { $pid } на { $host }, запущен { $since }): сначала остановите его. Два процесса делали бы каждую копию дважды и по очереди отвечали бы в боте.
cli-run-already-running-unknown = эту папку данных уже использует другой `tele-backup run`: сначала остановите его. Два процесса делали бы каждую копию дважды и по очереди отвечали бы в боте.
cli-healthy = работает
cli-unhealthy = не работает: пульс планировщика устарел или отсутствует
cli-internal-error = внутренняя ошибка: команда остановилась, не завершившись
cli-config-error = ошибка конфигурации: { $message }
cli-phase-dumping = снимаю дамп
cli-phase-uploading = отправляю часть { $part }
cli-phase-manifest = записываю манифест
cli-phase-verifying = проверяю части чтением
cli-phase-done = готово
cli-phase-downloading = скачиваю
cli-phase-checking = проверяю части
cli-phase-loading = загружаю

# Восстановление и проверка по всем копиям; пароль хранится с каждым запуском (задача 9, пункты 6 и 8).
cli-verify-copy = { $destination } · { $part ->
    [0] манифест
   *[other] часть { $part }/{ $parts }
  } · { $name }: { $status ->
    [ok] в порядке
    [corrupt] ПОВРЕЖДЕНА ({ $detail })
    [unreadable] не читается ({ $detail })
    [too-big] слишком велика, чтобы скачать её через этот API, не проверена
   *[missing] ОТСУТСТВУЕТ
  }
cli-verify-restorable = запуск { $run }: плохих копий: { $bad }, но запуск всё ещё можно восстановить: у каждой части есть целая копия в другом месте хранения
cli-restore-skipped-copy = примечание: пропущена копия { $destination } · часть { $part } · { $name }: { $status ->
    [corrupt] повреждена ({ $detail })
    [unreadable] не читается ({ $detail })
    [too-big] слишком велика, чтобы скачать её через этот API
   *[missing] отсутствует
  }; взята другая копия

## backup: честный успех (задача 9, пункт 5)
cli-run-status-unverified = запуск { $run }: ⚠️ сохранено, НЕ проверено — не все части удалось проверить чтением, восстановление не гарантировано (код выхода 2)

## цели восстановления (--new-database, --replace)
cli-restore-not-empty = источник «{ $source }» (база { $database }) не пуст. Восстановите рядом с ним через --new-database (ничего не затрагивается) или замените его содержимое через --replace (текущие данные удаляются, только когда резервная копия загружена полностью; при любом сбое они остаются как есть).
cli-restore-new-database-kind = --new-database работает для источников PostgreSQL и MySQL/MariaDB; «{ $source }» — источник типа { $kind }
cli-restored-new-database = запуск { $run } восстановлен в новую базу { $database } на сервере источника «{ $source }» (данных { $size }, sha256 каждой части проверен)

# Adopt (задача 12): восстановление индекса из закреплённого каталога чата
cli-adopt-header = каталог чата { $chat } · установка { $installation } · записан { $written }
cli-adopt-jobs = задания ({ $count }):
cli-adopt-job-new = { $job } · источник { $kind } «{ $source }» · { $schedule } · будет создано ВЫКЛЮЧЕННЫМ; перед включением задать: { $secrets }
cli-adopt-job-exists = { $job } · задание с таким именем уже есть: остаётся как есть
cli-adopt-secret-password = пароль источника «{ $source }»
cli-adopt-secret-passphrase = пароль шифрования задания
cli-adopt-runs = запуски, хранящиеся в чате ({ $count }):
cli-adopt-run = запуск { $run } · { $job } · { $date } · { $size } · частей: { $parts } · { $state ->
        [complete] полный
        [unverified] полный, но при создании не проверен
       *[incomplete] НЕПОЛНЫЙ: не хватает частей
    }{ $imported ->
        [yes] {" "}· уже импортирован
       *[other] {""}
    }
cli-adopt-confirm = Импортировать эти запуски и задания? [y/N]
cli-adopt-cancelled = ничего не импортировано
cli-adopt-dry-run = пока ничего не импортировано: запустите снова с --yes (или в терминале, чтобы подтвердить)
cli-adopt-done = импортировано запусков: { $runs } (уже были: { $skipped }), получатель «{ $destination }»; созданы выключенными задания: { $jobs }; созданы источники: { $sources }
cli-adopt-run-here = запуск { $from } ({ $job }) здесь — запуск { $id }: по этому номеру его восстанавливают и проверяют
cli-adopt-enable-hint = задание «{ $job }» останется выключенным, пока не задан { $secrets }; затем включите его (в боте или через config import с enabled: true)
cli-adopt-other-catalog = в этом чате есть и каталог установки { $installation } · записан { $written } · запусков: { $runs }
cli-adopt-unreadable-catalog = каталог установки { $installation } не удалось прочитать: { $reason }
cli-adopt-run-installation = установка { $installation }
cli-adopt-taken-over = запуски установки { $installation } переданы этой установке ({ $runs }): теперь их удаляет по сроку хранения она
cli-adopt-handed-over = в каталоге установки { $installation } принятые запуски отмечены как переданные
cli-adopt-handover-failed = каталог установки { $installation } не удалось отметить ({ $error }); передача всё равно выполнена

# Командная строка, которую нельзя выполнить (печатается перед справкой).
cli-usage-unknown-command = неизвестная команда «{ $command }»
cli-usage-unknown-option = неизвестный параметр { $option }
cli-usage-option-needs-value = параметру { $option } нужно значение
cli-usage-option-takes-no-value = параметр { $option } не принимает значения
cli-usage-unexpected-argument = лишний аргумент «{ $argument }»
cli-usage-run-id = нужен номер запуска (число), а получено «{ $got }»
cli-usage-job-name = команде { $command } нужно имя задания
cli-usage-restore-target = restore нужен ровно один из параметров: --to <источник> или --file <путь>
cli-usage-restore-needs-to = --replace и --new-database работают только с --to <источник>
cli-usage-restore-replace-or-new = выберите одно: --replace или --new-database
cli-usage-adopt-chat = adopt нужен id чата (-100…) или @username, а получено «{ $got }»
cli-usage-config-import-file = config import нужен YAML-файл
cli-usage-config-command = неизвестная подкоманда config «{ $got }» (есть export и import)
