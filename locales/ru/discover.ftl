# Поиск в Docker: /discover и `tele-backup discover` (src/application/discover.ts)

cmd-discover = Найти базы данных и тома в Docker и добавить их как источники

discover-unavailable = Поиск в Docker недоступен в этой установке.
discover-none = Docker не показывает ни одного контейнера PostgreSQL, MariaDB/MySQL или Redis и ни одного именованного тома.
discover-title = Найдено в Docker ({ $count }). Нажмите на находку, чтобы проверить подключение и добавить её как источник:
discover-item = { $icon } { $label } ({ $image }): { $target }
discover-item-covered = ✓ уже сохраняется источником «{ $source }»
discover-testing = Проверяю подключение…
discover-added = ✅ Подключение проверено. Источник «{ $name }» ({ $kind }) сохранён: создайте для него задание командой /newjob.
discover-added-version = Сервер: { $version }
discover-added-encrypted = Пароль хранится в зашифрованном виде.
discover-added-reference = Пароль читается из { $reference } при каждом запуске, как это делает сам контейнер: подключите тот же секрет и к Tele-Backup.
discover-btn-card = Источник «{ $name }»
discover-already-covered = ✓ Добавлять нечего: источник «{ $source }» уже это сохраняет.
discover-gone = Этого контейнера или тома больше нет. Отправьте /discover ещё раз.
discover-failed = ❌ Не добавлено, ничего не сохранено: { $reason }
discover-docker-unreachable = Нет связи с Docker, искать негде. Подключите сокет Docker к контейнеру Tele-Backup (/var/run/docker.sock) или задайте DOCKER_HOST. ({ $reason })
discover-docker-failed = Docker отклонил запрос: { $reason }

discover-problem-not-running = контейнер { $container } не запущен
discover-problem-no-host = у контейнера { $container } нет общей сети с Tele-Backup и нет IP-адреса: подключите оба к одной сети Compose
discover-problem-no-database = контейнер { $container } не называет базу данных (MARIADB_DATABASE / MYSQL_DATABASE): добавьте её через /newsource
discover-problem-no-credentials = в окружении контейнера { $container } нет пароля (случайный пароль root?): добавьте его через /newsource
discover-problem-gone = контейнера больше нет
discover-failed-secret = контейнер читает пароль из { $reference }, а Tele-Backup этот файл прочитать не может: подключите тот же секрет и к контейнеру Tele-Backup
discover-failed-test = проверка подключения не прошла: { $reason }
discover-failed-invalid = найденные настройки неверны ({ $field }): { $issue }

# `tele-backup discover`
discover-cli-col-n = №
discover-cli-col-kind = ТИП
discover-cli-col-what = КОНТЕЙНЕР / ТОМ
discover-cli-col-target = ПОДКЛЮЧЕНИЕ
discover-cli-col-state = СОСТОЯНИЕ
discover-cli-covered = ✓ источник { $source }
discover-cli-new = новый: будет «{ $name }»
discover-cli-hint = Добавить: tele-backup discover --add <номер или имя>
discover-cli-no-such = Ничего не найдено по «{ $which }»: список покажет tele-backup discover.
