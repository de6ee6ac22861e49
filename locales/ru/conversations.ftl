# Пошаговые диалоги: /newsource, /newdest, /newjob (src/bot/conversations/).

## Общее

conv-dialog-new-source = нового источника
conv-dialog-new-destination = нового места хранения
conv-dialog-new-job = нового задания
conv-cancelled = Отменено. Ничего не сохранено.
conv-left = Вы вышли из создания { $dialog }; ничего не сохранено.
conv-use-buttons = Выберите одну из кнопок ниже или отправьте /cancel.
conv-send-text = Ответьте текстовым сообщением или отправьте /cancel.
conv-too-long = Ответ длиной { $length } символов, а здесь можно не больше { $max }. Отправьте покороче или /cancel.
conv-stale-button = Эта кнопка относится к предыдущему вопросу.
conv-select-at-least = Сначала выберите хотя бы { $n ->
    [one] один вариант
    [few] { $n } варианта
   *[other] { $n } вариантов
  }.
conv-problem = ⚠️ { $reason }
conv-edit-which = Какую настройку изменить?
conv-save-refused =
    ❌ Не сохранено:
    { $issues }
conv-save-failed = ❌ Не сохранено: { $reason }
conv-test-ok = ✅ Проверка подключения прошла успешно.
conv-test-ok-version = ✅ Проверка подключения прошла успешно: { $version }.
conv-test-failed =
    ❌ Проверка подключения не удалась:
    { $reason }
conv-what-source = Источник
conv-what-destination = Место хранения
conv-what-job = Задание

conv-btn-use = Использовать { $value }
conv-btn-done = Готово
conv-btn-ok = ✅ Всё верно
conv-btn-change = ✏️ Изменить
conv-btn-retry = 🔁 Повторить
conv-btn-edit = ✏️ Изменить настройку
conv-btn-save-anyway = 💾 Всё равно сохранить
conv-btn-cancel = ✖️ Отмена
conv-btn-create = ✅ Создать задание
conv-btn-no-password = Без пароля
conv-btn-no-topic = Без темы
conv-btn-this-bot = Этот бот
conv-btn-other-bot = Другой бот (отправить его токен)
conv-btn-other-chat = Выбрать другой чат
conv-btn-keep-anyway = Всё равно оставить этот чат
conv-btn-tz-default = { $tz } (по умолчанию)

## Секреты

conv-secret-hint = 🔐 Я удалю ваше сообщение сразу после прочтения и больше нигде его не покажу. Вместо самого секрета можно отправить ссылку: env:ИМЯ (переменная окружения контейнера Tele-Backup) или file:/run/secrets/имя (файл Docker secret).
conv-secret-received = 🔐 Принято. Ваше сообщение удалено из чата.
conv-secret-delete-failed = ⚠️ Не удалось удалить ваше сообщение. Удалите его, пожалуйста, сами.
conv-secret-lost = Отправленный ранее секрет не сохранился после перезапуска (секреты никогда не записываются на диск в открытом виде). Отправьте его ещё раз.
conv-secret-resend = Отправьте ещё раз: предыдущее сообщение не удалось принять безопасно, поэтому я его удалил.
conv-secret-key-deleted = 🔐 Это был СЕКРЕТНЫЙ ключ age, поэтому я его удалил. Никогда не отправляйте секретные ключи в чат; отправьте открытый ключ (age1…) — его выводит age-keygen -y.
conv-secret-orphan = 🔐 Я удалил ваше сообщение: это был ответ на запрос пароля из уже завершённого диалога.

## Проверка ответов

conv-err-required = Значение не может быть пустым (и не должно начинаться или заканчиваться пробелом).
conv-err-name-invalid = «{ $value }» — недопустимое имя: от 1 до 63 строчных латинских букв, цифр, «.», «_» или «-», начиная с буквы или цифры.
conv-err-name-taken = { $what } с именем «{ $name }» уже существует. Выберите другое имя.
conv-err-host = «{ $value }» — не имя хоста и не адрес. Примеры: db, 10.0.0.5, postgres.internal
conv-err-port = Порт — целое число от 1 до 65535.
conv-err-path = Отправьте абсолютный путь, начинающийся с / (как его видит этот контейнер).
conv-err-volume = «{ $value }» — недопустимое имя тома Docker (буквы, цифры, «_», «.» и «-»).
conv-err-secret-ref = Это неправильная ссылка. Используйте env:ИМЯ (латинские буквы, цифры и _) или file:/абсолютный/путь.
conv-err-token = Это не похоже на токен бота (цифры, двоеточие, затем буквы — как его выдаёт @BotFather). Можно также отправить env:ИМЯ или file:/путь.
conv-err-chat = Отправьте id чата, например -1001234567890, публичное @имя канала или перешлите сюда любое сообщение из канала.
conv-err-forward-user = Это сообщение переслано от человека, а не из канала. Перешлите пост самого канала или отправьте id чата.
conv-err-thread = Id темы — целое положительное число.
conv-err-cron =
    Это выражение cron не подходит: { $detail }
    В выражении cron 5 полей: минута час день-месяца месяц день-недели. Например, 0 3 * * * — каждый день в 03:00, 30 2 * * 1-5 — по будням в 02:30.
conv-err-timezone = «{ $value }» — неизвестный часовой пояс. Используйте имя IANA, например Europe/Moscow, Europe/Berlin или UTC.
conv-err-part-size = Отправьте размер от 1MiB до 2000MiB, например 19MiB или 50MB.
conv-err-recipients-empty = Отправьте хотя бы один открытый ключ age (age1…).
conv-err-recipient = «{ $value }» — не открытый ключ age. Открытые ключи начинаются с age1 (age-keygen -y покажет ключ для вашего).
conv-err-recipient-secret = Это СЕКРЕТНЫЙ ключ age. Отправьте вместо него открытый ключ (age1…); секретный ключ должен остаться у вас.
conv-err-retention = Запишите правило так: keep_last=14 keep_daily=7 keep_weekly=4 keep_monthly=6 max_age_days=90 (любые из них, целые числа) или «all», чтобы хранить всё.

## /newsource

conv-src-kind = Что будем копировать?
conv-src-kind-postgres = PostgreSQL
conv-src-kind-mysql = MySQL / MariaDB
conv-src-kind-sqlite = Файл SQLite
conv-src-kind-volume = Том Docker
conv-src-kind-directory = Папка
conv-src-kind-redis = Redis
conv-src-host = Имя хоста или адрес сервера базы данных? В Docker Compose это имя сервиса, например db.
conv-src-port = Порт?
conv-src-database = Имя базы данных?
conv-src-user = Имя пользователя?
conv-src-password = Пароль пользователя { $user }?
conv-src-sqlite-path = Абсолютный путь к файлу SQLite, как его видит этот контейнер (например, /data/app.sqlite)?
conv-src-directory-path = Абсолютный путь к папке, как её видит этот контейнер (например, /srv/configs)?
conv-src-exclude = Что в ней не включать в резервные копии? Отправьте шаблоны относительно папки, по одному в строке или через запятую, например: *.log, cache/, tmp/**
    (* и ? совпадают внутри одного имени, ** — через папки; шаблон без / совпадает с именем на любой глубине; шаблон с / в конце — только с папками, вместе со всем их содержимым.)
conv-btn-no-exclude = Копировать всё
conv-err-exclude = Отправьте хотя бы один шаблон или нажмите «Копировать всё».
conv-src-volume = Имя тома Docker (например, myproject_uploads; список выводит docker volume ls)?
conv-src-name = Имя этого источника (строчные латинские буквы, цифры, «.», «_», «-»)?
conv-src-testing = ⏳ Проверяю подключение к { $target }…
conv-src-saved = ✅ Источник «{ $name }» сохранён. Настройте резервное копирование по расписанию командой /newjob.

conv-field-host = Хост
conv-field-port = Порт
conv-field-database = База данных
conv-field-user = Пользователь
conv-field-password = Пароль
conv-field-path = Путь
conv-field-volume = Том
conv-field-exclude = Не копируется
conv-field-name = Имя
conv-field-chat = Чат
conv-field-thread = Тема
conv-field-token = Бот

## /newdest

conv-dest-kind = Куда доставлять резервные копии?
conv-dest-kind-telegram = Канал или группа Telegram
conv-dest-kind-local = Папка на этом сервере
conv-dest-chat = Какой чат? Сначала добавьте этого бота в канал или группу администратором (с правом публиковать и удалять сообщения), затем отправьте id чата (-100…), его публичное @имя или перешлите сюда любое сообщение оттуда.
conv-dest-thread = Тема форума? Если группа — форум, отправьте id темы; иначе нажмите «Без темы».
conv-dest-bot = Какой бот будет публиковать файлы копий? Отдельный бот держит копии отдельно от бота этого чата.
conv-dest-token = Отправьте токен другого бота (от @BotFather).
conv-dest-path = Абсолютный путь к папке, как её видит этот контейнер (например, /backups)?
conv-dest-name = Имя этого места хранения (строчные латинские буквы, цифры, «.», «_», «-»)?
conv-dest-testing-telegram = ⏳ Проверяю чат { $target }: бот публикует там тестовое сообщение и удаляет его…
conv-dest-testing-local = ⏳ Проверяю папку { $target }: записываю и удаляю тестовый файл…
conv-dest-saved = ✅ Место хранения «{ $name }» сохранено. Используйте его в задании: /newjob.

## /newjob

conv-job-no-sources = Источников пока нет. Сначала создайте источник командой /newsource.
conv-job-no-destinations = Мест хранения пока нет. Сначала создайте место хранения командой /newdest.
conv-job-source = Какой источник будет копировать это задание?
conv-job-destinations = Куда отправлять копии? Отметьте одно или несколько мест и нажмите «Готово».
conv-job-name = Имя задания?
conv-job-timezone = Часовой пояс расписания? По умолчанию { $tz }. Чтобы выбрать другой, отправьте его имя IANA (например, Europe/Moscow).
conv-job-schedule = Когда запускать? Выберите вариант, пришлите его со своим временем («ежедневно 04:30», «еженедельно 22:00») или отправьте выражение cron (минута час день-месяца месяц день-недели).
conv-job-cron = Отправьте выражение cron: минута час день-месяца месяц день-недели. Например, 30 2 * * 1-5 — по будням в 02:30.
conv-job-next-runs =
    Расписание { $cron }, пояс { $tz }. Ближайшие запуски:
    { $runs }
conv-preset-custom = Своё выражение cron…
conv-job-format = Формат дампа?
conv-format-sql = Обычный SQL (.sql)
conv-format-custom = Формат pg_dump custom (-Fc)
conv-format-tar = Архив tar
conv-format-rdb = Снимок Redis (RDB)
conv-job-compression = Сжатие?
conv-compression-gzip = gzip
conv-compression-zstd = zstd
conv-compression-none = без сжатия
conv-job-encryption = Шифровать файлы копий?
conv-enc-recipients = Открытые ключи age (рекомендуется)
conv-enc-passphrase = Парольная фраза
conv-enc-none = Без шифрования
conv-job-recipients = Отправьте один или несколько открытых ключей age (age1…) через пробел или с новой строки. Расшифровать копии смогут только владельцы соответствующих секретных ключей, этот сервер — никогда.
conv-job-passphrase = Отправьте парольную фразу для шифрования копий. Она понадобится для восстановления, храните её надёжно.
conv-job-part-size = Наибольший размер одного файла-части? { $size } — каждую часть можно скачать через облачный Bot API. С собственным сервером Bot API можно указать больше, например 500MiB.
conv-job-retention = Сколько копий хранить? Более старые удаляются после каждого успешного запуска.
conv-retention-recommended = 14 последних + 7 ежедневных + 4 еженедельных + 6 ежемесячных (рекомендуется)
conv-retention-last7 = 7 последних
conv-retention-last30 = 30 последних
conv-retention-all = Хранить всё
conv-retention-custom = Своё правило…
conv-job-retention-custom = Отправьте правило, например keep_last=10 keep_daily=7 keep_weekly=4 keep_monthly=12 max_age_days=365 (любые из них).
conv-job-notify-success = Куда отправлять сообщения об успехе?
conv-job-notify-failure = Куда отправлять оповещения об ошибках?
conv-notify-same = В чаты мест хранения
conv-notify-other = В другой чат…
conv-job-notify-chat = Отправьте id чата (-100…), публичное @имя или перешлите сообщение из этого чата. Бот должен иметь право писать туда.
conv-job-notify-thread = Id темы (thread) в этом чате? Нажмите «Без темы», если это не форум.
conv-job-field-source = Источник
conv-job-field-destinations = Места хранения
conv-job-field-name = Имя
conv-job-field-timezone = Часовой пояс
conv-job-field-schedule = Расписание
conv-job-field-format = Формат
conv-job-field-compression = Сжатие
conv-job-field-encryption = Шифрование
conv-job-field-partSize = Размер части
conv-job-field-retention = Хранение
conv-job-field-notifySuccess = Сообщения об успехе
conv-job-field-notifyFailure = Оповещения об ошибках
conv-summary-enc-none = нет
conv-summary-enc-passphrase = age, парольная фраза
conv-summary-enc-recipients = age, { $n ->
    [one] { $n } получатель
    [few] { $n } получателя
   *[other] { $n } получателей
  }
conv-summary-keep-all = всё
conv-summary-tz-default = { $tz } (по умолчанию)
conv-summary-route-topic = { $chat }, тема { $topic }
conv-job-summary =
    Проверьте новое задание:
    Имя: { $name }
    Источник: { $source }
    Места хранения: { $destinations }
    Расписание: { $schedule }, { $timezone }
    Формат: { $format }, сжатие: { $compression }
    Шифрование: { $encryption }
    Размер части: { $partSize }
    Хранить: { $retention }
    Сообщения об успехе: { $success }
    Оповещения об ошибках: { $failure }
conv-job-created = ✅ Задание «{ $name }» создано. Следующий запуск: { $next }. Запустить сейчас: /runnow { $name }.

## Размеры частей, которые можно скачать (задача 9, пункт 5)
conv-err-part-size-cloud = { $size } больше 20 МБ, которые бот может скачать через облачный Bot API: части из «{ $destination }» нельзя будет скачать и восстановить этой программой. Отправьте 19MiB или меньше (или используйте свой сервер Bot API — он принимает части до 2000 МБ).
conv-dest-mirror = Зеркальный чат? Каждую проверенную копию можно дублировать во второй чат (добавьте туда этого бота администратором): если файл в основном чате повреждён или удалён, восстановление возьмёт его из зеркала. Пришлите id чата, @username или пересланное оттуда сообщение — или нажмите «Без зеркала».
conv-btn-no-mirror = Без зеркала
conv-field-mirror = Зеркальный чат
