# Ошибки получателей — для того, кому их исправлять.

dest-error-no-token = У получателя Telegram «{ $name }» нет токена бота: задайте BOT_TOKEN или укажите получателю собственный bot_token.
dest-error-chat-not-found = Чат Telegram { $chat } не найден. Проверьте id чата (id каналов начинаются с -100) и что бот добавлен в этот чат.
dest-error-not-member = Бот не состоит в чате { $chat }. Добавьте его в канал или группу администратором и повторите.
dest-error-no-rights = Бот не может публиковать в чате { $chat }. Сделайте его администратором с правами публиковать и удалять сообщения и повторите. ({ $detail })
dest-error-unauthorized = Telegram отверг токен бота для получателя «{ $name }» (он неверный или отозван). Создайте новый токен у @BotFather.
dest-error-too-large = Telegram отклонил файл в чате { $chat } как слишком большой ({ $detail }). Уменьшите part_size или используйте собственный сервер Bot API.
dest-error-flood = Telegram продолжал просить замедлиться при попытке { $action } в чате { $chat } ({ $detail }).
dest-error-server = Ошибка сервера Telegram при попытке { $action } в чате { $chat } ({ $detail }).
dest-error-network = Не удалось связаться с Telegram Bot API при попытке { $action } в чате { $chat } ({ $detail }).
dest-error-other = Telegram отказался выполнить { $action } в чате { $chat }: { $detail }
dest-error-part-too-large = Часть { $part } занимает { $size } — больше { $limit }, которые Telegram принимает от ботов. Уменьшите part_size задания (19MiB позволяет скачать каждую часть обратно) или используйте собственный сервер Bot API.

## ---- Run failures (src/engine/run/failure.ts): the frame says where, $reason says why ----
run-failed-interrupted = прервано: резервное копирование остановили до завершения
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
