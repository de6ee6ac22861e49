# Назначение S3 (src/destinations/s3.ts) и его ветка в /newdest

# Что делалось, когда S3 ответил ошибкой ({ $action } в сообщениях ниже)
s3-action-check = записать, прочитать и удалить пробный объект в
s3-action-store = сохранить
s3-action-read = прочитать
s3-action-delete = удалить
s3-action-list-uploads = найти или прервать незавершённые загрузки под

s3-error-network = Не удалось связаться с S3 места хранения «{ $name }», чтобы { $action } { $object } (попытка будет повторена): { $detail }
s3-error-server = Сервер S3 места хранения «{ $name }» не смог { $action } { $object } (попытка будет повторена): { $detail }
s3-error-no-bucket = Бакета { $bucket } места хранения «{ $name }» не существует. Создайте его или исправьте имя: { $detail }
s3-error-denied = Сервер S3 отказал месту хранения «{ $name }» в доступе к бакету { $bucket }: проверьте ключ доступа, секретный ключ и регион, а также что ключу разрешено читать, писать и удалять. ({ $detail })
s3-error-other = Сервер S3 отказался { $action } { $object } для места хранения «{ $name }»: { $detail }
s3-error-part-file = Назначение «{ $name }» не может прочитать файл части { $file } из временной папки.

# /newdest → S3
s3-conv-endpoint = Адрес S3? Например https://s3.eu-central-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com или http://minio:9000.
s3-conv-region = Регион? (если не уверены — us-east-1; Cloudflare R2: auto)
s3-conv-bucket = Имя бакета?
s3-conv-prefix = Префикс ключей внутри бакета (например tele-backup/) или «-», если не нужен:
s3-conv-path-style = Обращаться к бакету как endpoint/bucket (path style)? Нужно для MinIO, Garage и Ceph; для AWS, R2 и B2 — нет.
s3-conv-access-key = Идентификатор ключа доступа? (как есть или env:NAME / file:/run/secrets/x)
s3-conv-secret-key = Секретный ключ? Пришлите его как есть (сообщение будет удалено, а ключ сохранён в зашифрованном виде) или как env:NAME / file:/run/secrets/x.
s3-conv-testing = Проверяю бакет { $target }: кладу, читаю и удаляю небольшой объект…
s3-conv-kind = 🪣 Хранилище, совместимое с S3
s3-conv-yes = Да, path style
s3-conv-no = Нет, bucket.endpoint
conv-field-endpoint = Адрес (endpoint)
conv-field-region = Регион
conv-field-bucket = Бакет
conv-field-prefix = Префикс ключей
conv-field-pathStyle = Path style
conv-field-accessKey = Идентификатор ключа
conv-field-secretKey = Секретный ключ

# Карточка места хранения S3 в /destinations
s3-card-bucket = Бакет: { $bucket } на { $endpoint }
s3-card-prefix = Префикс ключей: { $prefix }
s3-card-key = Ключ доступа: { $key } · секретный ключ: { $secret }
