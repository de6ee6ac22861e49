## Изменение источников и мест хранения (✏️ Изменить на карточке), проверка перед сохранением нового, права на чтение

btn-edit = ✏️ Изменить
conv-btn-save = 💾 Сохранить
conv-dialog-edit-source = изменения источника
conv-dialog-edit-destination = изменения места хранения
conv-src-review = Проверьте новый источник перед сохранением:
conv-dest-review = Проверьте новое место хранения перед сохранением:
conv-field-language = Язык
edit-secret-set = •••• (задан)
edit-src-head = ✏️ Изменение источника «{ $name }».
edit-dest-head = ✏️ Изменение места хранения «{ $name }».
edit-src-saved = ✅ Источник «{ $name }» сохранён. Задания, которые его используют, получат новые настройки со следующего запуска.
edit-dest-saved = ✅ Место хранения «{ $name }» сохранено. Задания, которые в него отправляют копии, получат новые настройки со следующего запуска.
edit-unchanged = Ничего не изменено.
edit-dest-language = На каком языке бот должен писать в этот чат?
conv-test-failed-edit =
    ❌ Проверка подключения не прошла:
    { $reason }

    Ничего не сохранено. Повторите проверку, измените настройку или отмените.
edit-card-server = Сервер: { $server }
edit-card-mirror = Зеркальный чат: { $chat }
edit-card-language = Язык сообщений: { $language }
source-error-pg-unreadable = пользователь { $user } не может прочитать всё в базе { $database }: нет права SELECT (или USAGE на схему) для { $tables }. Резервная копия не получится. Выдайте права, например: GRANT SELECT ON ALL TABLES IN SCHEMA … TO { $user }.
source-error-mysql-rights = у пользователя { $user } нет прав { $rights } на базу { $database }: резервная копия не получится или будет неполной. Выдайте их на всю базу, например: GRANT { $rights } ON `{ $database }`.* TO …
source-error-dir-unreadable = часть файлов или папок в { $path } недоступна для чтения и не попадёт в резервную копию: { $paths }
