# Ошибки получателей — для того, кому их исправлять.

dest-error-no-token = У получателя Telegram «{ $name }» нет токена бота: задайте BOT_TOKEN или укажите получателю собственный bot_token.
dest-error-chat-not-found = Чат Telegram { $chat } не найден. Проверьте ID чата (ID каналов начинаются с -100) и что бот добавлен в этот чат.
dest-error-not-member = Бот не состоит в чате { $chat }. Добавьте его в канал или группу администратором и повторите.
dest-error-no-rights = Бот не может публиковать в чате { $chat }. Сделайте его администратором с правами публиковать и удалять сообщения и повторите. ({ $detail })
dest-error-unauthorized = Telegram отверг токен бота для получателя «{ $name }» (он неверный или отозван). Создайте новый токен у @BotFather.
dest-error-too-large = Telegram отклонил файл в чате { $chat } как слишком большой ({ $detail }). Уменьшите part_size или используйте собственный сервер Bot API.
dest-error-flood = Telegram продолжал просить замедлиться при попытке { $action } в чате { $chat } ({ $detail }).
dest-error-server = Ошибка сервера Telegram при попытке { $action } в чате { $chat } ({ $detail }).
dest-error-network = Не удалось связаться с Telegram Bot API при попытке { $action } в чате { $chat } ({ $detail }).
dest-error-other = Telegram отказал при попытке { $action } в чате { $chat }: { $detail }
dest-error-part-too-large = Часть { $part } занимает { $size } — больше { $limit }, которые Telegram принимает от ботов. Уменьшите part_size задания (при 19MiB каждую часть можно скачать) или используйте собственный сервер Bot API.

## ---- Run failures (src/engine/run/failure.ts): the frame says where, $reason says why ----
run-failed-interrupted = прервано: резервное копирование остановили до завершения
run-failed-cancelled = отменено: остановил { $by }
run-failed-prepare = ошибка подготовки: { $reason }
run-failed-dump = ошибка дампа: { $reason }
run-failed-compress = ошибка сжатия: { $reason }
run-failed-encrypt = ошибка шифрования: { $reason }
run-failed-upload = ошибка отправки: { $reason }
run-failed-manifest = ошибка манифеста: { $reason }
run-failed-verify = ошибка проверки: { $reason }
run-failed-spool = ошибка временной папки: { $reason }
run-spool-create = не удалось создать временную папку { $path }: { $detail }
run-spool-manifest = не удалось записать манифест в { $path }: { $detail }
run-part-size-too-large = part_size { $size } больше { $limit }, которые принимает получатель «{ $destination }»; уменьшите part_size задания (при 19MiB каждую часть можно скачать из Telegram) или используйте собственный сервер Bot API
run-copy-bad-twice = { $destination }: { $part } — { $reason }, в том числе после повторной отправки
## ---- end of run failures ----

## ---- What a destination was doing when it failed ($action of dest-error-*), and local folder failures ----
dest-action-check = проверить чат
dest-action-send = отправить { $file }
dest-action-download = скачать часть
dest-action-delete = удалить сообщения
dest-action-mirror = скопировать части в чат-зеркало { $chat }
dest-error-no-file-id = Получатель Telegram «{ $name }»: для этой части в чате { $chat } не записан ID файла, поэтому её нельзя скачать.
dest-error-local = Локальный получатель «{ $name }» не смог { $action }: { $reason }.
dest-error-local-outside = Локальный получатель «{ $name }»: { $path } лежит вне его папки { $root }.
dest-error-local-not-mounted = Локальный получатель «{ $name }»: в папке { $path } нет ни одной из последних копий, записанных туда, и нет метки, которую оставил в ней tele-backup. Подключён ли диск? Ничего не записано (копия, записанная туда сейчас, попала бы на другой диск и скрылась бы, когда диск вернётся). Подключите диск и запустите задание снова; если вы очистили папку намеренно, сначала создайте файл { $mark }.
dest-action-write-folder = записать в { $path }
dest-action-store = сохранить { $file }
dest-action-read = прочитать { $path }
dest-action-delete-file = удалить { $path }
dest-reason-no-space = на устройстве не осталось места
dest-reason-permission = нет прав доступа
dest-reason-read-only = файловая система доступна только для чтения
dest-reason-not-found = такого файла или папки нет
dest-reason-not-folder = часть пути — не папка
dest-reason-system = системная ошибка { $code }

## ---- Расписания (src/scheduler/cron.ts, src/shared/cron-rules.ts) ----
cron-error-timezone = Неизвестный часовой пояс «{ $timezone }». Укажите имя IANA, например Europe/Berlin или UTC.
cron-error-fields = В «{ $schedule }» { $count } { $count ->
    [one] поле
    [few] поля
   *[other] полей
  }, а в cron-выражении их 5: минута, час, день месяца, месяц, день недели (0 3 * * * — каждый день в 03:00).
cron-error-seconds = В «{ $schedule }» есть поле секунд (6 полей). Расписание задаётся с точностью до минуты: укажите 5 полей — минута, час, день месяца, месяц, день недели (*/10 * * * * — каждые 10 минут).
cron-error-too-often = «{ $schedule }» срабатывает чаще, чем раз в { $min } мин (между некоторыми запусками всего { $gap } мин). Резервное копирование можно запускать не чаще раза в { $min } мин, например */{ $min } * * * *.
cron-error-field = «{ $schedule }»: поле { $field } «{ $value }» недопустимо (допустимо: { $range }).
cron-error-invalid = «{ $schedule }» — недопустимое cron-выражение для часового пояса { $timezone }.
cron-field-minute = минут
cron-field-hour = часов
cron-field-day = дня месяца
cron-field-month = месяца
cron-field-weekday = дня недели

## ---- Источники: упавший инструмент дампа или клиент (src/sources/child-process.ts, postgres.ts); $detail — вывод самого инструмента ----
source-error-tool-missing = Не удаётся запустить { $tool }: он не установлен или его нет в PATH.
source-error-tool-start = Не удаётся запустить { $tool }: { $detail }
source-error-tool-killed = { $tool } завершён сигналом { $signal }: { $detail }
source-error-tool-exit = { $tool } завершился с кодом { $code }: { $detail }
source-error-tool-killed-silent = { $tool } завершён сигналом { $signal }.
source-error-tool-exit-silent = { $tool } завершился с кодом { $code }.
source-error-dir-missing = Папки { $path } не существует.
source-error-dir-not-folder = { $path } — не папка.
source-error-dir-no-access = Папку { $path } не удаётся прочитать: { $detail }
source-error-dir-backup-failed = Не удалось сделать копию папки { $path }: { $detail }
source-error-dir-no-gnu-tar = Папки архивирует `GNU tar`, а `tar` в PATH — другой ({ $found }). Установите `GNU tar` (в образе он уже есть).
source-error-dir-finished-other = В папке { $path } лежали файлы прерванного восстановления, которое уже переносило их на место; оно доведено до конца, и теперь в папке его копия. Восстановите в новую или пустую папку.
source-error-dir-move-stuck = Восстановление в папку { $path } не удалось при переносе файлов на место ({ $detail }): в папке может лежать часть копии, остальное — в { $staging }.
source-error-dir-restore-failed = Не удалось восстановить в папку { $path }: { $detail }
source-error-volume-finished-other = В томе Docker «{ $volume }» лежали файлы прерванного восстановления, которое уже переносило их на место; оно доведено до конца, и теперь в томе его копия. Восстановите в новый или пустой том.
source-error-volume-staging-left = В томе Docker «{ $volume }» лежит { $folder } — промежуточная папка другого восстановления в этот том, которое ещё идёт. Дождитесь его конца и восстановите снова.
source-error-volume-name-taken = Восстановление в том Docker «{ $volume }» не удалось при переносе файлов на место: в томе уже есть { $name }. Ничего не перенесено, том остался прежним.
source-error-dir-name-taken = Не удалось восстановить в папку { $path }: в ней уже есть { $name }. Ничего не перенесено, папка осталась прежней.
source-error-volume-move-undone = Восстановление в том Docker «{ $volume }» не удалось при переносе файлов на место ({ $reason }): ничего не перенесено, том остался прежним.
source-error-volume-move-stuck = Восстановление в том Docker «{ $volume }» не удалось при переносе файлов на место ({ $reason }): в томе может лежать часть копии. Удалите том (`docker volume rm { $volume }`) и восстановите снова — восстановление создаст его.
source-error-pg-lock-timeout = PostgreSQL на { $server }: { $table } дольше `lock_wait_timeout` ({ $seconds } с) заблокирована другим сеансом; выгрузка не началась. Найдите этот сеанс в `pg_stat_activity` или увеличьте `lock_wait_timeout`.
source-error-mysql-stalled = MySQL/MariaDB на { $server }: дамп ничего не передавал дольше `lock_wait_timeout` ({ $seconds } с) и был остановлен: скорее всего, таблицу, которую он читает, заблокировал другой сеанс (ALTER TABLE, ждущий за незакрытой транзакцией). Найдите `Waiting for table metadata lock` в `SHOW PROCESSLIST` или увеличьте `lock_wait_timeout`
source-error-mysql-swap-in-use = таблицы { $database } { $seconds } с оставались заняты другим сеансом (незакрытой транзакцией), поэтому восстановление не подменило их; ничего не изменено. Остановите приложение или завершите этот сеанс (`SHOW PROCESSLIST`) и повторите восстановление
source-error-sqlite-missing = Базы SQLite { $path } не существует.
source-error-sqlite-not-file = { $path } — не файл, а должна быть база SQLite.
source-error-sqlite-not-db = { $path } — не база SQLite.
source-error-sqlite-unreadable = Не удаётся открыть базу SQLite { $path }: { $detail }
source-error-sqlite-snapshot-full = Не удаётся снять снимок базы SQLite { $path }: в { $dir } нет места для снимка (сначала там делается копия базы)
source-error-sqlite-backup-failed = Не удалось сделать копию базы SQLite { $path }: { $detail }
source-error-sqlite-restore-failed = Не удалось восстановить в базу SQLite { $path }: { $detail }
source-error-redis-connect = Не удаётся подключиться к Redis на { $server }: { $detail }
source-error-redis-login = Redis на { $server } не принял вход: { $detail }
source-error-redis-not-empty = В Redis на { $server } уже есть ключи ({ $keys }). Восстанавливайте в пустой (новый) экземпляр Redis: существующий никогда не перезаписывается.
source-error-tools-missing = Не найдены клиентские программы { $what } ({ $tools }): установите пакет { $package }.
source-error-pg-client-old = Сервер PostgreSQL версии { $server }, а самый новый установленный pg_dump — версии { $client }: установите postgresql-client-{ $server }.
source-error-server-said = PostgreSQL на { $server } отказал: { $detail }
source-error-no-password = PostgreSQL на { $server } требует пароль, а он не задан.
source-error-connect = Не удаётся подключиться к { $server }: { $reason }.
source-reason-refused = в соединении отказано (запущен ли сервер, верны ли хост и порт?)
source-reason-unknown-host = имя хоста неизвестно
source-reason-timeout = время ожидания соединения истекло
source-reason-no-route = нет маршрута до хоста
source-error-mysql-no-access = MySQL/MariaDB на { $server }: у пользователя «{ $user }» нет доступа к базе данных «{ $database }».
source-error-mysql-denied = MySQL/MariaDB на { $server }: доступ для пользователя «{ $user }» запрещён ({ $hint ->
    [no-password] нужен пароль
   *[wrong] неверное имя пользователя или пароль
  }).
