# Errors from destinations, written for the person who has to fix them.

dest-error-no-token = Telegram destination "{ $name }" has no bot token: set BOT_TOKEN or give the destination its own bot_token.
dest-error-chat-not-found = Telegram chat { $chat } was not found. Check the chat id (channel ids start with -100) and that the bot has been added to that chat.
dest-error-not-member = The bot is not a member of chat { $chat }. Add it to the channel or group as an administrator, then try again.
dest-error-no-rights = The bot may not post in chat { $chat }. Make it an administrator with the rights to post and delete messages, then try again. ({ $detail })
dest-error-unauthorized = Telegram rejected the bot token for destination "{ $name }" (it is wrong or was revoked). Create a new token with @BotFather.
dest-error-too-large = Telegram refused a file in chat { $chat } as too large ({ $detail }). Use a smaller part_size, or a self-hosted Bot API server.
dest-error-flood = Telegram kept asking to slow down while trying to { $action } in chat { $chat } ({ $detail }).
dest-error-server = Telegram had a server error while trying to { $action } in chat { $chat } ({ $detail }).
dest-error-network = Could not reach the Telegram Bot API while trying to { $action } in chat { $chat } ({ $detail }).
dest-error-other = Telegram refused to { $action } in chat { $chat }: { $detail }
dest-error-part-too-large = Part { $part } is { $size }, above the { $limit } that Telegram accepts from bots. Lower the job's part_size (19MiB keeps every part downloadable) or use a self-hosted Bot API server.

## ---- Run failures (src/engine/run/failure.ts): the frame says where, $reason says why ----
run-failed-interrupted = interrupted: the backup was stopped before it finished
run-failed-cancelled = cancelled: stopped by { $by }
run-failed-prepare = prepare failed: { $reason }
run-failed-dump = dump failed: { $reason }
run-failed-compress = compress failed: { $reason }
run-failed-encrypt = encrypt failed: { $reason }
run-failed-upload = upload failed: { $reason }
run-failed-manifest = manifest failed: { $reason }
run-failed-verify = verify failed: { $reason }
run-failed-spool = spool: { $reason }
run-spool-create = cannot create the spool folder { $path }: { $detail }
run-spool-manifest = cannot write the manifest to { $path }: { $detail }
run-part-size-too-large = part_size { $size } is above the { $limit } that destination "{ $destination }" accepts; lower the job's part_size (19MiB keeps every part downloadable from Telegram) or use a self-hosted Bot API server
run-copy-bad-twice = { $destination }: { $part } { $reason }, also after uploading it again
## ---- end of run failures ----

## ---- What a destination was doing when it failed ($action of dest-error-*), and local folder failures ----
dest-action-check = check the chat
dest-action-send = send { $file }
dest-action-download = download a part
dest-action-delete = delete messages
dest-action-mirror = copy the parts into the mirror chat { $chat }
dest-error-no-file-id = Telegram destination "{ $name }": no file id is recorded for this part in chat { $chat }, so it cannot be downloaded.
dest-error-local = Local destination "{ $name }" could not { $action }: { $reason }.
dest-error-local-outside = Local destination "{ $name }": { $path } is outside its folder { $root }.
dest-error-local-not-mounted = Local destination "{ $name }": the folder { $path } holds none of the newest backups recorded there, and not the mark tele-backup left in it. Is its disk mounted? Nothing was written (a backup written there now would land on another disk and be hidden once the disk is back). Mount it and run the job again; if you emptied the folder on purpose, create the file { $mark } first.
dest-action-write-folder = write to { $path }
dest-action-store = store { $file }
dest-action-read = read { $path }
dest-action-delete-file = delete { $path }
dest-reason-no-space = no space left on the device
dest-reason-permission = permission denied
dest-reason-read-only = the file system is read-only
dest-reason-not-found = it does not exist
dest-reason-not-folder = a part of the path is not a folder
dest-reason-system = system error { $code }

## ---- Schedules (src/scheduler/cron.ts, src/shared/cron-rules.ts) ----
cron-error-timezone = Unknown time zone "{ $timezone }". Use an IANA name such as Europe/Berlin or UTC.
cron-error-fields = "{ $schedule }" has { $count } { $count ->
    [one] field
   *[other] fields
  }; a cron expression has 5: minute hour day-of-month month day-of-week (0 3 * * * is every day at 03:00).
cron-error-seconds = "{ $schedule }" has a seconds field (6 fields). Schedules are set to the minute: use 5 fields, minute hour day-of-month month day-of-week (*/10 * * * * is every 10 minutes).
cron-error-too-often = "{ $schedule }" runs more often than every { $min } minutes (some runs only { $gap } min apart). Backups may run at most every { $min } minutes, e.g. */{ $min } * * * *.
cron-error-field = "{ $schedule }": the { $field } field "{ $value }" is not valid (allowed: { $range }).
cron-error-invalid = "{ $schedule }" is not a valid cron expression in the time zone { $timezone }.
cron-field-minute = minute
cron-field-hour = hour
cron-field-day = day-of-month
cron-field-month = month
cron-field-weekday = day-of-week

## ---- Sources: a dump or client tool that failed (src/sources/child-process.ts, postgres.ts); $detail is the tool's own output ----
source-error-tool-missing = { $tool } cannot be run: it is not installed or not on PATH.
source-error-tool-start = { $tool } cannot be run: { $detail }
source-error-tool-killed = { $tool } was killed by { $signal }: { $detail }
source-error-tool-exit = { $tool } exited with code { $code }: { $detail }
source-error-tool-killed-silent = { $tool } was killed by { $signal }.
source-error-tool-exit-silent = { $tool } exited with code { $code }.
source-error-dir-missing = directory { $path } does not exist
source-error-dir-not-folder = { $path } is not a directory
source-error-dir-no-access = directory { $path } is not readable: { $detail }
source-error-dir-backup-failed = backup of directory { $path } failed: { $detail }
source-error-dir-no-gnu-tar = Folders are archived by `GNU tar`, and the `tar` on PATH is another one ({ $found }). Install `GNU tar` (the image has it).
source-error-dir-finished-other = Restore target { $path } held the files of an interrupted restore that was moving them into place; that restore was finished, so the folder now holds its backup: restore into a new or empty directory
source-error-dir-move-stuck = Restore into directory { $path } failed while moving the restored files into place ({ $detail }): the folder may hold part of the backup, the rest is in { $staging }
source-error-dir-restore-failed = restore into directory { $path } failed: { $detail }
source-error-volume-finished-other = Docker volume "{ $volume }" held the files of an interrupted restore that was moving them into place; that restore was finished, so the volume now holds its backup: restore into a new or empty volume
source-error-volume-staging-left = Docker volume "{ $volume }" holds { $folder }, the staging folder of another restore into it that is still running: wait for it to end, then restore again
source-error-volume-name-taken = Restore into Docker volume "{ $volume }" failed while moving the restored files into place (already in the volume: { $name }): nothing was moved, the volume is as it was
source-error-dir-name-taken = restore into directory { $path } failed: already in the folder: { $name }; nothing was moved, the folder is as it was
source-error-volume-move-undone = Restore into Docker volume "{ $volume }" failed while moving the restored files into place ({ $reason }): nothing was moved, the volume is as it was
source-error-volume-move-stuck = Restore into Docker volume "{ $volume }" failed while moving the restored files into place ({ $reason }): the volume may hold part of the backup. Remove the volume (`docker volume rm { $volume }`) and restore again: the restore creates it
source-error-pg-lock-timeout = PostgreSQL at { $server }: { $table } stayed locked by another session for longer than `lock_wait_timeout` ({ $seconds } s); the dump did not start. Find the session in `pg_stat_activity`, or raise `lock_wait_timeout`
source-error-mysql-stalled = MySQL/MariaDB at { $server }: the dump sent nothing for `lock_wait_timeout` ({ $seconds } s) and was stopped: a table it reads is most likely locked by another session (an ALTER TABLE waiting behind a transaction left open). Look for `Waiting for table metadata lock` in `SHOW PROCESSLIST`, or raise `lock_wait_timeout`
source-error-mysql-swap-in-use = the tables of { $database } stayed in use by another session (an open transaction) for { $seconds } s, so the restore did not swap them in; nothing was changed. Stop the application or end that session (`SHOW PROCESSLIST`), then restore again
source-error-sqlite-missing = SQLite database { $path } does not exist
source-error-sqlite-not-file = SQLite database { $path } is not a file
source-error-sqlite-not-db = { $path } is not a SQLite database
source-error-sqlite-unreadable = cannot open SQLite database { $path }: { $detail }
source-error-sqlite-snapshot-full = cannot snapshot SQLite database { $path }: no space left in { $dir } for its snapshot (a copy of the database is made there first)
source-error-sqlite-backup-failed = backup of SQLite database { $path } failed: { $detail }
source-error-sqlite-restore-failed = restore into SQLite database { $path } failed: { $detail }
source-error-redis-connect = Cannot connect to Redis at { $server }: { $detail }
source-error-redis-login = Redis at { $server } refused the login: { $detail }
source-error-redis-not-empty = Redis at { $server } already holds { $keys } keys: restore into an empty (new) Redis instance; an existing one is never overwritten.
source-error-tools-missing = No { $what } client tools found ({ $tools }): install { $package }.
source-error-pg-client-old = The PostgreSQL server is version { $server } but the newest pg_dump installed is { $client }: install postgresql-client-{ $server }.
source-error-server-said = PostgreSQL at { $server } refused: { $detail }
source-error-no-password = PostgreSQL at { $server } asks for a password and none is configured.
source-error-connect = Cannot connect to { $server }: { $reason }.
source-reason-refused = the connection was refused (is the server running, and is the host and port right?)
source-reason-unknown-host = the host name is unknown
source-reason-timeout = the connection timed out
source-reason-no-route = there is no route to the host
source-error-mysql-no-access = MySQL/MariaDB at { $server }: user "{ $user }" has no access to database "{ $database }".
source-error-mysql-denied = MySQL/MariaDB at { $server }: access denied for user "{ $user }" ({ $hint ->
    [no-password] a password is required
   *[wrong] wrong user name or password
  }).
