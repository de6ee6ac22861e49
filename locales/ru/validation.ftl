# Ошибки конфигурации (импорт YAML, CLI, диалоги бота). Каждая идёт после пути к неверному
# значению: «jobs[1].schedule: …». В $value значение показано так, как оно записано.

validation-invalid = неверное значение: { $reason }
validation-required = обязательное поле
validation-reason = { $reason }
validation-yaml = { $reason }

## shapes
validation-unknown-key = неизвестный ключ для { $what } (допустимы: { $allowed })
validation-what-file = файла
validation-what-job = задания
validation-what-source = источника
validation-what-destination = получателя
validation-what-source-kind = источников типа { $kind }
validation-what-destination-kind = получателей типа { $kind }
validation-what-retention = retention
validation-what-encryption = encryption
validation-what-notify = notify
validation-what-route = маршрута уведомлений
validation-mapping = должно быть словарём (ключ: значение), получено { $value }
validation-file-type = файл должен быть словарём со списками sources, destinations и jobs
validation-section-type = должно быть списком (каждый элемент начинается с «- name: …»)
validation-source-type = должно быть словарём с name, kind и настройками этого типа
validation-destination-type = должно быть словарём с name, kind и настройками этого типа
validation-job-type = должно быть словарём с name, source, destinations и schedule
validation-retention-type = должно быть словарём вида {"{"} keep_last: 14, keep_daily: 7 {"}"}, получено { $value }
validation-route-type = должно быть словарём с chat_id и необязательным thread_id
validation-notify-type = должно быть словарём с необязательными success и failure
validation-encryption-type = должно быть {"{"} recipients: [age1…] {"}"} или {"{"} passphrase: … {"}"}
validation-one-of = допустимые значения: { $allowed }

## values
validation-name-type = имя должно быть текстом, получено { $value }
validation-name = { $value } — недопустимое имя: используйте от 1 до 63 строчных латинских букв, цифр, «.», «_» или «-», начиная с буквы или цифры
validation-text = должно быть текстом, получено { $value }
validation-spaces = не должно начинаться или заканчиваться пробелами
validation-host = { $value } — недопустимое имя хоста или адрес
validation-port = должно быть целым числом от 1 до 65535, получено { $value }
validation-absolute-path = { $value } должен быть абсолютным путём (начинаться с /)
validation-exclude = { $value } — не шаблон исключения: нужен шаблон относительно папки источника (например *.log или cache/), без сегментов . и ..
validation-exclude-list = должно быть списком шаблонов, например ["*.log", "cache/"]
validation-nul = не должно содержать NUL-символов
validation-volume = { $value } — недопустимое имя тома Docker
validation-secret-type = должно быть текстом (само значение, env:ИМЯ или file:/путь)
validation-secret-empty = не должно быть пустым
validation-secret-ref = неверная ссылка: используйте env:ИМЯ (латинские буквы, цифры и _) или file:/абсолютный/путь
validation-secret-protected = нельзя ссылаться на { $name }: это один из секретов самого tele-backup
validation-bot-token = не похоже на токен бота (ожидается <цифры>:<буквы>); можно также env:ИМЯ или file:/путь
validation-chat-id-unsafe = { $value } — недопустимый id чата; возьмите его в кавычки: "-100…"
validation-chat-id-type = должно быть id чата, например "-1001234567890" или "@channel", получено { $value }
validation-chat-id = { $value } — не id чата (например, "-1001234567890" или "@channelname")
validation-thread-id = должно быть целым положительным числом (id темы форума), получено { $value }
validation-boolean = должно быть true или false, получено { $value }
validation-count = должно быть целым числом не меньше 0, получено { $value }

## jobs
validation-source-required = обязательное поле (имя источника)
validation-destinations = должно быть непустым списком имён получателей, например [main-channel]
validation-cron-type = должно быть cron-выражением в кавычках, получено { $value }
validation-cron-fields = { $value } — неверное cron-выражение (нужно 5 полей «минута час день месяц день_недели» или 6, с секундами в начале)
validation-cron = { $value } — неверное cron-выражение ({ $reason })
validation-schedule-seconds = В «{ $schedule }» есть поле секунд (6 полей). Расписание задаётся с точностью до минуты: укажите 5 полей — минута, час, день месяца, месяц, день недели (*/10 * * * * — каждые 10 минут). Чтобы всё же оставить его, добавьте заданию allow_frequent: true.
validation-schedule-too-often = «{ $schedule }» срабатывает чаще, чем раз в { $min } мин (между некоторыми запусками всего { $gap } мин). Резервное копирование можно запускать не чаще раза в { $min } мин, например */{ $min } * * * *. Чтобы всё же оставить его, добавьте заданию allow_frequent: true.
validation-timezone-type = должно быть часовым поясом IANA, например "Europe/Moscow", получено { $value }
validation-timezone = { $value } — неизвестный часовой пояс IANA (например, "Europe/Moscow", "UTC")
validation-timezone-suggest = { $value } — неизвестный часовой пояс. Может быть, имелся в виду { $zones }?
validation-size = должно быть размером, например "19MiB", "50MB", или числом байт, получено { $value }
validation-size-whole = должно быть размером, например "19MiB", "50MB", или числом байт (целым числом байт), получено { $value }
validation-part-size-range = должно быть от 1MiB до 2000MiB, получено { $value }
validation-part-size-cloud = { $size } — больше 20 МБ, которые бот может скачать через облачный Bot API (место хранения «{ $destination }»); укажите 19MiB или используйте свой сервер Bot API (части до 2000 МБ)
validation-age-type = должно быть открытым ключом age (age1…), получено { $value }
validation-age-secret = это СЕКРЕТНЫЙ ключ age; укажите его открытый ключ (age1…) (age-keygen -y)
validation-age = { $value } — недопустимый получатель age (нужен открытый ключ, начинающийся с age1)
validation-recipients = должно быть непустым списком открытых ключей age (age1…)
validation-encryption-one = укажите что-то одно: recipients или passphrase
validation-format = допустимые значения: { $allowed }, получено { $value }
validation-format-kind = формат { $value } недоступен для источников типа { $kind } (используйте { $allowed })
validation-listed-twice = { $value } указано дважды
validation-no-source = нет источника с именем «{ $name }»
validation-no-destination = нет получателя с именем «{ $name }»
validation-adopted-passphrase = задание «{ $job }» перенесено без парольной фразы: задайте encryption: {"{"} passphrase: … {"}"}, прежде чем включать его
validation-adopted-password = источник «{ $source }» перенесён без пароля: задайте пароль, прежде чем включать задание «{ $job }»

## references between entries
validation-mask-nothing-stored = "***" — это маска экспорта, а сохранённого значения { $key } нет; укажите { $key } или ссылку env:/file:
validation-name-taken-source = источник с именем «{ $name }» уже есть
validation-name-taken-destination = получатель с именем «{ $name }» уже есть
validation-name-taken-job = задание с именем «{ $name }» уже есть
validation-defined-twice = «{ $name }» уже определено в { $at }
validation-kind-breaks-format = задание «{ $job }» (его нет в этом файле) использует формат «{ $format }», который источники типа { $kind } не поддерживают; измените это задание или добавьте его в файл
validation-kind-breaks-part-size = задание «{ $job }» (его нет в этом файле): part_size { $reason }; измените это задание или добавьте его в файл

# хуки, пинг и вебхук задания (issue 16)
validation-what-hooks = хуки (before, after, on_failure)
validation-what-hook = хук
validation-hook-list = должно быть списком хуков ({"{"} run: …, container: …, timeout: … {"}"})
validation-hook-run = должно быть командой: строкой для shell или списком аргументов
validation-hook-container = { $value } — недопустимое имя контейнера
validation-lock-wait-timeout = должно быть целым числом секунд от 1 до 86400, получено { $value }
validation-hook-timeout = должно быть целым числом секунд от 1 до 3600, получено { $value }
validation-ping-url = должно быть адресом http:// или https:// (или ссылкой env:/file: на него)
validation-what-drill = drill (schedule, identity)
validation-what-anomaly = anomaly (size_below, size_above, history, tables_drop, rows_drop, min_rows)
validation-drill-schedule = должно быть "weekly" или cron-выражением в кавычках, получено { $value }
validation-drill-identity = должно быть ключом age (AGE-SECRET-KEY-1…) или ссылкой env:/file: на него
validation-anomaly-number = должно быть числом не меньше 0 (history — целым числом запусков), получено { $value }
validation-s3-endpoint = должно быть адресом S3 в виде http(s)-URL без параметров и учётных данных (https://s3.eu-central-1.amazonaws.com, http://minio:9000), получено { $value }
validation-s3-bucket = должно быть именем бакета S3 (3–63 строчные латинские буквы, цифры, точки и дефисы), получено { $value }
validation-s3-region = должно быть именем региона, например us-east-1 или auto, получено { $value }
validation-s3-prefix = должно быть префиксом ключей не длиннее 512 символов, без сегментов "." и "..", получено { $value }
validation-s3-storage-class = должно быть классом хранения S3, например STANDARD_IA или GLACIER_IR, получено { $value }
validation-s3-access-key = должно быть идентификатором ключа доступа (3–128 печатных символов без пробелов)
