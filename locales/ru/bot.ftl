# Экраны, команды и ответы бота (src/bot/). Сгруппировано по функциям.
# У пошаговых диалогов (/newsource, /newdest, /newjob) свой файл.

## Меню команд (setMyCommands) и /help
cmd-start = Приветствие и первые шаги
cmd-help = Все команды
cmd-newsource = Добавить базу данных, том или папку для резервного копирования
cmd-newdest = Добавить чат Telegram или локальную папку для копий
cmd-newjob = Создать задание (что, куда, когда)
cmd-sources = Список источников
cmd-destinations = Список мест хранения
cmd-jobs = Задания: запуск, пауза, расписание, история
cmd-runnow = Запустить задание сейчас: /runnow [задание]
cmd-logs = История запусков: /logs [задание]
cmd-status = Все задания на одном экране
cmd-restore = Восстановить из копии
cmd-adopt = Импортировать копии из каталога канала (новый сервер)
cmd-lang = Сменить язык
cmd-cancel = Отменить текущее действие

help-title = 🤖 Команды Tele-Backup
help-footer = Пароли не нужно вводить в чат: в каждом запросе секрета можно указать env:ИМЯ или file:/run/secrets/имя.

## /start
start-welcome = 👋 Здравствуйте, { $name }! Я делаю резервные копии ваших баз данных, томов и папок и доставляю файлы в Telegram.
start-first-steps =
    Настроим первую резервную копию:
    1. /newsource — что копировать
    2. /newdest — куда отправлять файлы
    3. /newjob — когда и как (сжатие, шифрование)
    Затем /runnow, чтобы попробовать. /help — все команды.
start-overview =
    Заданий: { $jobs }, источников: { $sources }, мест хранения: { $destinations }.
    /status покажет, как у них дела; /help — все команды.

## Доступ
auth-refused = Извините, это закрытый бот: пользоваться им могут только его администраторы. (Ваш id в Telegram: { $id }.)

## Общие кнопки и ошибки
btn-back = ◀ Назад
btn-back-list = ◀ К списку
btn-done = ✔ Готово
btn-delete = 🗑 Удалить
btn-delete-yes = 🗑 Да, удалить
btn-delete-no = ✖ Нет, оставить
btn-open-job = 🗂 Задание
btn-history = 📜 История

error-generic = ⚠️ Что-то пошло не так. Ошибка записана в журнал; попробуйте ещё раз.
error-not-found = Этого больше нет (возможно, удалено). Откройте список заново.
error-in-use = ⛔ «{ $name }» нельзя удалить: его используют задания { $jobs }. Сначала удалите или измените эти задания.
error-invalid =
    ⛔ Отклонено:
    { $details }
error-failed = ⚠️ Не получилось: { $reason }

secret-none = нет
secret-hidden = задан (скрыт)
card-used-by = Используется в заданиях: { $jobs }
card-unused = Не используется ни в одном задании.

fmt-duration-ms = { $ms } мс
fmt-duration-s = { $s } с
fmt-duration-m = { $m } мин { $s } с
fmt-duration-h = { $h } ч { $m } мин

## /lang
lang-name = Русский
lang-pick = Выберите язык:
lang-changed = ✅ Теперь я говорю с вами по-русски.
lang-unknown = Этот язык я пока не знаю. Доступны: { $langs }.

## /cancel
cancel-done = ✖ Отменено.
cancel-nothing = Отменять нечего.

## Источники
sources-title = 🗄 Источники ({ $count }). Нажмите на источник, чтобы увидеть подробности; /newsource добавит новый.
sources-empty = Источников пока нет. Добавьте первый командой /newsource.
sources-card-head = { $icon } Источник: { $name } ({ $kind })
sources-card-db =
    Сервер: { $host }:{ $port }
    База данных: { $database }
    Пользователь: { $user }
sources-card-password = Пароль: { $password }
sources-card-path = Путь: { $path }
sources-card-exclude = Не копируется: { $patterns }
sources-card-volume = Том Docker: { $volume }
sources-delete-confirm = Удалить источник «{ $name }»? Уже сделанные копии останутся на месте.
sources-deleted = 🗑 Источник «{ $name }» удалён.

## Места хранения
dests-title = 📮 Места хранения ({ $count }). Нажмите, чтобы увидеть подробности; /newdest добавит новое.
dests-empty = Мест хранения пока нет. Добавьте первое командой /newdest.
dests-card-head = { $icon } Место хранения: { $name } ({ $kind })
dests-card-chat = Чат: { $chat }
dests-card-thread = Тема: { $thread }
dests-card-token = Бот: { $token }
dests-card-main-bot = этот бот
dests-card-path = Папка: { $path }
dests-delete-confirm = Удалить место хранения «{ $name }»? Уже доставленные файлы останутся там.
dests-deleted = 🗑 Место хранения «{ $name }» удалено.

## Задания
jobs-title = 🗂 Задания ({ $count }). Нажмите на задание, чтобы запустить, приостановить или изменить его; /newjob добавит новое.
jobs-empty = Заданий пока нет. Создайте первое командой /newjob (сначала нужны источник и место хранения).
jobs-unknown = Задания «{ $name }» нет. Список — /jobs.
job-card =
    🗂 Задание: { $job } — { $state }
    Источник: { $source } ({ $kind })
    Куда: { $destinations }
    Расписание: { $schedule } ({ $timezone })
    Следующий запуск: { $next }
    Формат: { $format } · сжатие: { $compression } · шифрование: { $encryption }
    Размер части: { $partSize }
    Последний результат: { $last }
job-state-enabled = включено
job-state-disabled = ⏸ выключено
job-next-disabled = нет (задание выключено)
job-next-none = нет (расписание больше не срабатывает)
job-next-invalid = неверное расписание: { $reason }
job-last-never = ещё не запускалось
job-encryption-none = нет
job-encryption-passphrase = age, пароль
job-encryption-recipients = age, { $count } { $count ->
    [one] получатель
    [few] получателя
   *[other] получателей
  }
job-btn-run = ▶ Запустить сейчас
job-btn-enable = ✅ Включить
job-btn-disable = ⏸ Выключить
job-btn-schedule = 🕒 Расписание
job-btn-destinations = 📮 Куда отправлять
job-btn-history = 📜 История
job-btn-delete = 🗑 Удалить
job-enabled-toast = Включено: задание снова работает по расписанию.
job-disabled-toast = Выключено: по расписанию задание запускаться не будет.
job-delete-confirm = Удалить задание «{ $job }»? Расписание остановится; история запусков и сделанные копии останутся.
job-deleted = 🗑 Задание «{ $job }» удалено.
job-deleted-toast = Удалено.

## Расписание
schedule-preset-hourly = Каждый час
schedule-preset-6h = Каждые 6 часов
schedule-preset-daily = Ежедневно…
schedule-preset-weekly = По воскресеньям…
schedule-preset-monthly = Ежемесячно, 1-го числа…

## Запуск и ход выполнения
runnow-pick = Какое задание запустить сейчас?
runnow-started-toast = Запускаю…
runnow-busy = ⏳ «{ $job }» уже выполняется или ждёт очереди. Результат придёт, когда оно закончится.
runnow-stopping = ⏹ «{ $job }» сейчас не запустить: Tele-Backup завершает работу.
progress-starting = ⏳ Копия { $job }: запуск…
progress-dumping = ⏳ Копия { $job }: выгрузка… прочитано { $raw }, после сжатия { $payload }
progress-uploading = ⏳ Копия { $job }: отправка части { $part } из { $total } · отправлено { $sent } (прочитано { $raw })
progress-manifest = ⏳ Копия { $job }: отправлено частей: { $parts } ({ $payload }), записываю манифест…
progress-verifying = ⏳ Копия { $job }: проверяю отправленные части ({ $parts }, { $payload })…
progress-finishing = ⏳ Копия { $job }: завершение ({ $payload })…
progress-success =
    ✅ Копия готова: { $job } (запуск #{ $run })
    Файл: { $file }
    Размер: { $size } ({ $raw } до сжатия) · частей: { $parts } · за { $duration }
    Проверено: { $verified ->
        [yes] да, части прочитаны после отправки и сверены
       *[no] нет
    }
progress-failed =
    ❌ Копия НЕ УДАЛАСЬ: { $job } (запуск #{ $run }, спустя { $duration })
    Причина: { $reason }
progress-interrupted =
    ⚠️ Копия прервана: { $job } (запуск #{ $run }, спустя { $duration })
    Причина: { $reason }
progress-error =
    ❌ Не удалось запустить { $job }: { $reason }

## История (/logs)
logs-title = 📜 Последние запуски, новые сверху
logs-title-job = 📜 Запуски { $job }, новые сверху
logs-empty = Запусков пока не было. /runnow запустит задание.
logs-empty-job = { $job } ещё не запускалось. /runnow { $job } запустит его.
logs-page-empty = Более ранних запусков нет.
logs-run-head = #{ $run } · { $job } · { $trigger }
logs-run-parts = частей: { $parts } · { $file }
logs-run-expired = (удалено по правилам хранения)
run-summary = { $icon } { $status } · { $when } · { $size } · { $duration }
run-error-line = ↳ { $error }
run-status-success = успешно
run-status-failed = ошибка
run-status-interrupted = прервано
run-status-running = выполняется
trigger-schedule = по расписанию
trigger-manual = вручную
trigger-cli = из командной строки
trigger-startup = догоняющий запуск при старте

## /status
status-job-head = { $icon } { $job }
status-running = ⏳ выполняется сейчас
status-queued = ⏳ ждёт очереди
status-warn-never = ⚠️ Успешных копий ещё не было.
status-warn-stale = ⚠️ Нет успешной копии с { $since }.

## /restore
restore-pick-job = ♻️ Восстановление: копию какого задания?
restore-no-runs = У { $job } нет успешных копий, из которых можно восстановить.
restore-pick-run = ♻️ Восстановление { $job }: какая копия?
restore-run-button = #{ $run } · { $when } · { $size }
restore-run-gone = Из этой копии больше нельзя восстановить (она не удалась, устарела или удалена). Начните заново: /restore.
restore-pick-target =
    ♻️ Копия #{ $run } задания { $job } ({ $when }, { $kind }).
    Куда восстановить?
restore-target-original = ↩ { $name } (исходный источник)
restore-target-source = → { $name }
restore-target-file = 📎 Прислать файл
restore-confirm =
    ⚠️ Восстановление копии #{ $run } задания { $job } в «{ $target }» ЗАМЕНИТ то, что там сейчас: текущие данные удаляются одним шагом, когда копия загружена полностью (при любом сбое они остаются как есть). Новая база рядом сохраняет текущие данные — вернитесь назад, чтобы выбрать её.
    Чтобы продолжить, введите точное имя цели: { $target }
    /cancel — отменить.
restore-confirm-mismatch = Это не имя цели. Чтобы восстановить, введите в точности { $target } или /cancel.
restore-identity-prompt = 🔑 Копия #{ $run } зашифрована для открытого ключа age. Отправьте закрытый ключ (AGE-SECRET-KEY-1…) для расшифровки. Я сразу удалю ваше сообщение и использую ключ только для этого восстановления. /cancel — отменить.
restore-identity-invalid = Это не закрытый ключ age (он начинается с AGE-SECRET-KEY-1). Я удалил ваше сообщение; отправьте ключ ещё раз или /cancel.
restore-file-too-big = 📎 После восстановления копия #{ $run } займёт { $size } — больше { $limit }, которые может отправить бот. Восстановите её на сервере: tele-backup restore { $run } --file <путь>
restore-file-chosen = 📎 Готовлю копию #{ $run } как { $file }…
restore-progress-starting = ♻️ Восстановление #{ $run } → { $target }: запуск…
restore-progress-downloading = ♻️ Восстановление #{ $run } → { $target }: загрузка частей { $bytes } из { $total }…
restore-progress-checking = ♻️ Восстановление #{ $run } → { $target }: проверка частей { $bytes } из { $total }…
restore-progress-loading = ♻️ Восстановление #{ $run } → { $target }: загрузка данных { $bytes } из { $total }…
restore-progress-finishing = ♻️ Восстановление #{ $run } → { $target }: завершение…
restore-done = ✅ Копия #{ $run } задания { $job } восстановлена в «{ $target }» ({ $size }).
restore-sending = ✅ Копия #{ $run } восстановлена как { $file } ({ $size }); отправляю…
restore-file-caption = Копия #{ $run } задания { $job }
restore-failed =
    ❌ Восстановление копии #{ $run } в «{ $target }» не удалось: { $reason }

## Всё остальное
unhandled-button = Эта кнопка больше не действует. Откройте экран заново.
unhandled-command = Такой команды я не знаю. /help — что я умею.
unhandled-message = Не понял. /help — что я умею.

## Восстановление по всем копиям; пароль хранится с каждым запуском (задача 9, пункты 6 и 8)
restore-passphrase-prompt = 🔑 { $reason ->
    [wrong] Пароль, сохранённый с резервной копией #{ $run }, её не открывает (вероятно, его с тех пор сменили).
   *[other] Пароль резервной копии #{ $run } здесь недоступен (его ссылку не удаётся разрешить).
  } Пришлите пароль, с которым копия была сделана. Я сразу удалю ваше сообщение и использую пароль только для этого восстановления. /cancel — отмена.
restore-passphrase-wrong = Этот пароль не открывает резервную копию #{ $run }. Я удалил ваше сообщение; пришлите правильный или /cancel.
restore-skipped-copies =
    ⚠️ Некоторые сохранённые копии повреждены или недоступны; эти части взяты из другого места хранения:
    { $copies }
restore-skipped-copy = • { $destination }, часть { $part }: { $status ->
    [corrupt] повреждена (sha256 не совпадает)
    [unreadable] не читается
    [too-big] слишком велика, чтобы скачать её через этот API
   *[missing] отсутствует
  }

## Честный статус и хранение, не зависящее от часов (задача 9, пункты 4 и 5)
run-status-unverified = сохранено, НЕ проверено
status-warn-unverified = ⚠️ Запуск #{ $run } не полностью проверен чтением: восстановление не гарантировано.
status-warn-clock-skew = ⏰ Очистка приостановлена: ошибка часов в запусках { $runs }. Проверьте часы сервера.
status-btn-clock-ok = ✅ Часы верны: возобновить очистку { $job }
clock-skew-confirmed = ✅ Принято: часы верны. Очистка { $job } возобновится со следующей копией; запуски с неверным временем упорядочены по тому, когда они были сделаны.
clock-skew-nothing = Очистка { $job } не приостановлена: подтверждать нечего.
progress-success-unverified =
    ⚠️ Копия сохранена, но НЕ проверена: { $job } (запуск #{ $run })
    Файл: { $file }
    Размер: { $size } ({ $raw } до сжатия) · частей: { $parts } · за { $duration }
    Не все части удалось проверить чтением после загрузки, поэтому восстановление не гарантировано. Уменьшите размер части задания до 19MiB (облачный Bot API) или используйте свой сервер Bot API.

## /restore: сначала новая база, замена — вторым вариантом
restore-target-new-database = 🆕 Новая база { $database } (рядом с { $name })
restore-target-replace-original = ♻️ Заменить { $name } (исходный источник)
restore-target-replace = ♻️ Заменить { $name }
restore-new-database-chosen = 🆕 Восстанавливаю копию #{ $run } в новую базу { $database } на сервере «{ $name }». Ничего существующего не затрагивается. Если что-то пойдёт не так, новая база будет удалена; восстановленной она считается, только когда ниже появится ✅.

## /adopt (задача 12): импорт закреплённого каталога чата
adopt-ask-chat = В каком чате копии? Перешлите мне любой пост этого канала или пришлите его id (-100…) или @username.
adopt-unavailable = Для импорта нужен BOT_TOKEN: чат читается через бота, который публиковал копии.
adopt-failed = ❌ Не удалось прочитать каталог чата: { $error }
adopt-summary = 🗂 Каталог чата { $chat }, записан { $written }: заданий — { $jobs }, запусков — { $runs }.
adopt-job-new = • задание { $job } ({ $kind }): будет создано выключенным; перед включением задать: { $secrets }
adopt-job-exists = • задание { $job }: уже есть здесь, остаётся как есть
adopt-run = #{ $run } { $job } · { $date } · { $size } · { $state ->
        [complete] ✅ полный
        [unverified] ⚠️ полный, при создании не проверен
       *[incomplete] ❌ не хватает частей
    }{ $imported ->
        [yes] {" "}· уже импортирован
       *[other] {""}
    }
adopt-secret-password = пароль источника «{ $source }»
adopt-secret-passphrase = пароль шифрования задания
adopt-btn-import = 📥 Импортировать
adopt-btn-cancel = ✖ Отмена
adopt-cancelled = Ничего не импортировано.
adopt-done = ✅ Импортировано запусков: { $runs } (уже были: { $skipped }), получатель «{ $destination }». Созданы выключенными задания: { $jobs }. Восстановление — командой /restore.
adopt-needs-secrets = 🔐 { $job } останется выключенным, пока не задан { $secrets } (config import, затем включите его в /jobs).
adopt-btn-secrets = 🔐 Задать секреты { $job }
adopt-ask-password = 🔐 Пришлите пароль источника «{ $source }» (задание { $job }) или ссылку вида env:DB_PASSWORD или file:/run/secrets/db. Я сразу удалю ваше сообщение. /cancel — прервать.
adopt-ask-passphrase = 🔐 Пришлите пароль шифрования задания { $job } (им зашифрованы его копии) или ссылку вида env:BACKUP_PASSPHRASE. Я сразу удалю ваше сообщение. /cancel — прервать.
adopt-passphrase-wrong = Этот пароль не открывает копию #{ $run } задания { $job }: ничего не сохранено. Пришлите верный или /cancel.
adopt-job-enabled = ✅ У задания { $job } есть все секреты, оно снова включено.
adopt-other-catalog = • здесь же каталог установки { $installation } (запусков: { $runs })
adopt-btn-take-over = 📥 Импортировать и принять (старого сервера больше нет)
adopt-taken-over = 🔁 Запуски установки { $installation } приняты ({ $runs }): теперь их удаляет по сроку хранения эта установка.
adopt-handover-failed = ⚠️ Каталог установки { $installation } не удалось отметить как переданный ({ $error }); передача всё равно выполнена.

## Truthful screens and restores that can succeed (issue 13, items 2 and 3)
screen-times-zone = 🕒 Время указано в поясе { $zone }
run-status-cancelled = отменено
progress-uploading-first = ⏳ Копия { $job }: отправка части { $part } · отправлено { $sent } (прочитано { $raw })
progress-waiting = ⏸ Telegram попросил подождать { $seconds } с перед следующей попыткой.
progress-queued = ⏳ Копия { $job }: в очереди после { $behind }; начнётся, когда они закончатся.
progress-cancelled =
    ⏹ Копирование отменено: { $job } (запуск #{ $run }, спустя { $duration })
    Уже отправленные части удалены.
btn-stop = ⏹ Остановить
stop-toast-running = Останавливаю…
stop-toast-queued = Убрано из очереди.
stop-toast-none = Останавливать нечего: задание не выполняется.
runnow-cancelled = ⏹ Копирование { $job } убрано из очереди до начала.
restore-deleted-jobs-button = 🗑 Удалённые задания ({ $count })
restore-deleted-title = 🗑 Удалённые задания: их копии по-прежнему можно восстановить. Какое задание?
restore-deleted-none = Ни одно удалённое задание не оставило копий, которые можно восстановить.
restore-deleted-job-button = 🗑 { $job } · { $count } { $count ->
    [one] копия
    [few] копии
   *[many] копий
  }
restore-deleted-job-name = { $job } (удалено)
restore-target-new-file = 🆕 Новый файл { $file } (рядом с { $name })
restore-new-file-chosen = 🆕 Восстанавливаю копию #{ $run } в новый файл { $file } рядом с файлом «{ $name }». Ничего существующего не затрагивается; восстановление завершено, только когда ниже появится ✅.
restore-confirm-sqlite =
    ⚠️ Восстановление копии #{ $run } задания { $job } в «{ $target }» ЗАМЕНИТ файл базы: копия сначала записывается рядом и проверяется, затем одним шагом встаёт на место старого файла (при любом сбое старый файл остаётся как есть). Новый файл рядом сохраняет текущие данные — вернитесь назад, чтобы выбрать его.
    Чтобы продолжить, введите точное имя цели: { $target }
    /cancel — отменить.
run-actions-title = Копия #{ $run } задания { $job }
run-action-restore = ♻️ Восстановить…
run-action-verify = 🔍 Проверить (прочитать все копии)
run-verify-started = 🔍 Проверяю копию #{ $run }: читаю все сохранённые экземпляры…
run-verify-ok = ✅ Копия #{ $run }: все сохранённые экземпляры ({ $checked }) прочитаны без ошибок.
run-verify-restorable =
    ⚠️ Копию #{ $run } можно восстановить (у каждой части есть целый экземпляр), но некоторые экземпляры повреждены:
    { $copies }
run-verify-broken =
    ❌ Копию #{ $run } восстановить нельзя: у некоторых частей нет целого экземпляра.
    { $copies }
run-verify-failed = ❌ Не удалось проверить копию #{ $run }: { $reason }
logs-run-actions-button = #{ $run } ⋯
logs-deleted-button = 🗑 Удалённые задания
logs-deleted-title = 🗑 Удалённые задания: их история сохраняется. Какое задание?
logs-deleted-none = Удалённые задания не оставили запусков.
logs-deleted-job-button = 🗑 { $job }
logs-title-deleted-job = 📜 Запуски { $job } (задание удалено), новые сверху
