# Почему восстановление или проверка не может начаться (src/engine/restore.ts, цели восстановления в источниках).
# Бот выводит их внутри restore-failed; CLI печатает английский текст ошибки.

restore-error-run-not-found = Запуск #{ $run } не найден.
restore-error-run-not-success = Запуск #{ $run } не завершился успешно ({ $status ->
    [failed] он завершился ошибкой
    [interrupted] он был прерван
   *[other] он ещё идёт
  }); восстанавливать нечего.
restore-error-no-parts = У запуска #{ $run } не осталось сохранённых частей для восстановления.
restore-error-no-parts-verify = У запуска #{ $run } не осталось сохранённых частей для проверки.
restore-error-kind-mismatch = Запуск #{ $run } — резервная копия вида { $kind }; её нельзя восстановить в источник «{ $target }» вида { $targetKind }.
restore-error-needs-identity = Запуск #{ $run } зашифрован для получателей age: нужен его закрытый ключ (в CLI: --identity <файл>).
restore-error-file-exists = { $path } уже существует; выберите новый файл.
restore-error-identity-wrong = Присланный ключ age не открывает запуск #{ $run }; ничего не восстановлено.
restore-error-passphrase-unusable = Запуск #{ $run } зашифрован паролем, но сохранённый с ним пароль использовать нельзя ({ $reason }); укажите пароль (в CLI: --passphrase-file <файл>).
restore-error-passphrase-none = Запуск #{ $run } зашифрован паролем, а пароль с ним не сохранён; укажите пароль (в CLI: --passphrase-file <файл>).
restore-error-passphrase-given-wrong = Присланный пароль не открывает запуск #{ $run }; ничего не восстановлено.
restore-error-passphrase-stored-wrong = Пароль, сохранённый с запуском #{ $run }, его не открывает (его сменили?); укажите тот, с которым делалась копия (в CLI: --passphrase-file <файл>). Ничего не восстановлено.
restore-error-no-intact-copy = У части { $part } запуска #{ $run } нет целой копии ({ $copies }); ничего не восстановлено.
restore-error-payload-unchecked = У запуска #{ $run } не записан sha256: его данные нельзя проверить, поэтому восстановление остановлено до конца.
restore-error-payload-mismatch = Запуск #{ $run }: данные, собранные из частей, не совпадают с манифестом; восстановление остановлено до конца.

# Одна непригодная копия части и их список.
restore-copy-list = { $first }; { $rest }
restore-copy-missing = { $destination }: { $name } отсутствует
restore-copy-corrupt = { $destination }: { $name } не совпадает с контрольной суммой
restore-copy-unreadable = { $destination }: { $name } не удаётся прочитать ({ $detail })
restore-copy-too-big = { $destination }: { $name } слишком велик, чтобы прочитать его через этот API

# Цели восстановления, которые драйверы источников отклоняют до загрузки.
restore-error-db-name = «{ $database }» — недопустимое имя базы данных.
restore-error-db-reserved = Имя «{ $database }» зарезервировано для временных баз восстановления.
restore-error-db-exists = База данных «{ $database }» уже есть на { $server }; выберите другое имя для новой базы.
restore-error-db-missing = Базы данных «{ $database }» на { $server } нет.
restore-error-target-file-exists = Цель восстановления { $path } уже существует: восстанавливайте в новый файл.
restore-error-target-not-empty = Цель восстановления { $path } не пуста: восстанавливайте в новую или пустую папку.
restore-error-target-not-folder = Цель восстановления { $path } существует и не является папкой.
