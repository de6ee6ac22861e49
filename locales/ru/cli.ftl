# Командная строка (tele-backup <команда>).

cli-usage =
    Использование: tele-backup <команда> [параметры]

    Команды:
      run                                    применить миграции и запустить бота и планировщик (npm start)
      health                                 код 0, пока пульс планировщика свежий (Docker HEALTHCHECK)
      backup <job> [--json]                  запустить задание сейчас и вывести результат (код 0 — успех, 1 — ошибка)
      restore <run-id> --to <source>         проверить части запуска и загрузить его в источник
      restore <run-id> --file <path>         проверить части запуска и записать дамп в новый файл
          {"["}--identity <file>]                файл ключа age для запусков, зашифрованных для получателей
      verify <run-id>                        скачать все сохранённые части запуска и проверить их sha256
      config export [file] [--with-secrets]  выгрузить источники, получателей и задания в YAML
      config import <file>                   проверить и загрузить источники, получателей и задания из YAML
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
cli-verify-failed = запуск { $run }: ОШИБКА ПРОВЕРКИ
cli-exported = конфигурация записана в { $file }
cli-exported-secrets = конфигурация записана в { $file } (с секретами: храните её надёжно)
cli-imported = загружено { $file }: { $summary }
cli-import-invalid = { $file }: ошибок: { $count }, ничего не изменено
cli-healthy = работает
cli-unhealthy = не работает: пульс планировщика устарел или отсутствует
cli-internal-error = внутренняя ошибка: команда остановилась, не завершившись
cli-config-error = ошибка конфигурации: { $message }
cli-phase-dumping = снимаю дамп
cli-phase-uploading = отправляю часть { $part }
cli-phase-manifest = записываю манифест
cli-phase-verifying = читаю части обратно
cli-phase-done = готово
cli-phase-downloading = скачиваю
cli-phase-checking = проверяю части
cli-phase-loading = загружаю
