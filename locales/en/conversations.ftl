# Guided dialogs: /newsource, /newdest, /newjob (src/bot/conversations/).

## Shared

conv-dialog-new-source = new source
conv-dialog-new-destination = new destination
conv-dialog-new-job = new job
conv-cancelled = Cancelled. Nothing was saved.
conv-left = You left the { $dialog } dialog; nothing was saved.
conv-use-buttons = Please choose one of the buttons below, or send /cancel.
conv-send-text = Please answer with a text message, or send /cancel.
conv-too-long = That answer is { $length } characters long; the limit here is { $max }. Please send a shorter one, or /cancel.
conv-stale-button = This button belongs to an earlier question.
conv-select-at-least = Select at least { $n } first.
conv-problem = ⚠️ { $reason }
conv-edit-which = Which setting do you want to change?
conv-save-refused =
    ❌ Not saved:
    { $issues }
conv-save-failed = ❌ Not saved: { $reason }
conv-test-ok = ✅ The connection test passed.
conv-test-ok-version = ✅ The connection test passed: { $version }.
conv-test-failed =
    ❌ The connection test failed:
    { $reason }
conv-what-source = source
conv-what-destination = destination
conv-what-job = job

conv-btn-use = Use { $value }
conv-btn-done = Done
conv-btn-ok = ✅ Looks right
conv-btn-change = ✏️ Change
conv-btn-retry = 🔁 Try again
conv-btn-edit = ✏️ Change a setting
conv-btn-save-anyway = 💾 Save anyway
conv-btn-cancel = ✖️ Cancel
conv-btn-create = ✅ Create the job
conv-btn-no-password = No password
conv-btn-no-topic = No topic
conv-btn-this-bot = This bot
conv-btn-other-bot = Another bot (send its token)
conv-btn-other-chat = Choose another chat
conv-btn-keep-anyway = Keep this chat anyway
conv-btn-tz-default = { $tz } (default)

## Secrets

conv-secret-hint = 🔐 I delete your message as soon as I have read it and never show it again. Instead of the secret itself you can send a reference: env:NAME (an environment variable of the Tele-Backup container) or file:/run/secrets/name (a Docker secret file).
conv-secret-received = 🔐 Got it. Your message has been deleted from the chat.
conv-secret-delete-failed = ⚠️ I could not delete your message. Please delete it yourself.
conv-secret-lost = The secret you sent earlier was not kept across a restart (secrets are never written to disk unencrypted). Please send it again.
conv-secret-resend = Please send it again: I could not take the previous message safely, so I deleted it.
conv-secret-key-deleted = 🔐 That was an age SECRET key, so I deleted it. Never send secret keys to a chat; send the public key (age1…) instead (age-keygen -y prints it).
conv-secret-orphan = 🔐 I deleted your message: it answered a password prompt of a dialog that has already ended.

## Validation

conv-err-required = This cannot be empty (and must not start or end with spaces).
conv-err-name-invalid = "{ $value }" is not a valid name: use 1 to 63 lowercase letters, digits, ".", "_" or "-", starting with a letter or a digit.
conv-err-name-taken = A { $what } named "{ $name }" already exists. Choose another name.
conv-err-host = "{ $value }" is not a host name or address. Examples: db, 10.0.0.5, postgres.internal
conv-err-port = The port must be a whole number from 1 to 65535.
conv-err-path = Send an absolute path, starting with / (as this container sees it).
conv-err-volume = "{ $value }" is not a Docker volume name (letters, digits, "_", "." and "-").
conv-err-secret-ref = That is not a valid reference. Use env:NAME (letters, digits and _) or file:/absolute/path.
conv-err-token = That does not look like a bot token (digits, a colon, then letters, as @BotFather gives it). You can also send env:NAME or file:/path.
conv-err-chat = Send a chat id such as -1001234567890, the channel's public @username, or forward any message from the channel here.
conv-err-forward-user = That message was forwarded from a person, not from a channel. Forward a post of the channel itself, or send the chat id.
conv-err-thread = A topic id is a positive whole number.
conv-err-cron =
    That is not a usable cron expression: { $detail }
    A cron expression has 5 fields: minute hour day-of-month month day-of-week. For example 0 3 * * * runs every day at 03:00, 30 2 * * 1-5 on weekdays at 02:30.
conv-err-timezone = "{ $value }" is not a known time zone. Use an IANA name such as Europe/Berlin, America/New_York or UTC.
conv-err-part-size = Send a size from 1MiB to 2000MiB, for example 19MiB or 50MB.
conv-err-recipients-empty = Send at least one age public key (age1…).
conv-err-recipient = "{ $value }" is not an age public key. Public keys start with age1 (age-keygen -y shows the one of your key).
conv-err-recipient-secret = That is an age SECRET key. Send its public key (age1…) instead; the secret key must stay with you.
conv-err-retention = Write the rule as keep_last=14 keep_daily=7 keep_weekly=4 keep_monthly=6 max_age_days=90 (any of them, whole numbers), or "all" to keep everything.

## /newsource

conv-src-kind = What do you want to back up?
conv-src-kind-postgres = PostgreSQL
conv-src-kind-mysql = MySQL / MariaDB
conv-src-kind-sqlite = SQLite file
conv-src-kind-volume = Docker volume
conv-src-kind-directory = Folder
conv-src-kind-redis = Redis
conv-src-host = Host name or address of the database server? In Docker Compose this is the service name, for example db.
conv-src-port = Port?
conv-src-database = Name of the database?
conv-src-user = User name?
conv-src-password = Password of { $user }?
conv-src-sqlite-path = Absolute path of the SQLite file, as this container sees it (for example /data/app.sqlite)?
conv-src-directory-path = Absolute path of the folder, as this container sees it (for example /srv/configs)?
conv-src-exclude = Anything in it to leave out of the backups? Send patterns relative to the folder, one a line or separated by commas, for example: *.log, cache/, tmp/**
    (* and ? match within one name, ** across folders; a pattern without / matches a name at any depth; one ending in / matches folders only, with everything in them.)
conv-btn-no-exclude = Back up everything
conv-err-exclude = Send at least one pattern, or press "Back up everything".
conv-src-volume = Name of the Docker volume (for example myproject_uploads; docker volume ls lists them)?
conv-src-name = Name for this source (lowercase letters, digits, ".", "_", "-")?
conv-src-testing = ⏳ Testing the connection to { $target }…
conv-src-saved = ✅ Source "{ $name }" saved. Back it up on a schedule with /newjob.

conv-field-host = Host
conv-field-port = Port
conv-field-database = Database
conv-field-user = User
conv-field-password = Password
conv-field-path = Path
conv-field-volume = Volume
conv-field-exclude = Left out
conv-field-name = Name
conv-field-chat = Chat
conv-field-thread = Topic
conv-field-token = Bot

## /newdest

conv-dest-kind = Where should backups be delivered?
conv-dest-kind-telegram = Telegram channel or group
conv-dest-kind-local = Folder on this server
conv-dest-chat = Which chat? Add this bot to the channel or group as an administrator (allowed to post and delete messages) first, then send its chat id (-100…), its public @username, or forward any message from it here.
conv-dest-thread = Forum topic? If the group is a forum, send the topic (thread) id; otherwise press "No topic".
conv-dest-bot = Which bot should post the backup files? Another bot keeps backups apart from this chat's bot.
conv-dest-token = Send the token of the other bot (from @BotFather).
conv-dest-path = Absolute path of the folder, as this container sees it (for example /backups)?
conv-dest-name = Name for this destination (lowercase letters, digits, ".", "_", "-")?
conv-dest-testing-telegram = ⏳ Testing chat { $target }: the bot posts a test message there and deletes it…
conv-dest-testing-local = ⏳ Testing folder { $target }: writing and removing a test file…
conv-dest-saved = ✅ Destination "{ $name }" saved. Use it in a job with /newjob.

## /newjob

conv-job-no-sources = There are no sources yet. Create one with /newsource first.
conv-job-no-destinations = There are no destinations yet. Create one with /newdest first.
conv-job-source = Which source should this job back up?
conv-job-destinations = Where should the backups go? Tap to select one or more, then press Done.
conv-job-name = Name for the job?
conv-job-timezone = Time zone of the schedule? The default is { $tz }. To use another, send its IANA name (for example Europe/Berlin).
conv-job-schedule = When should it run? Choose a preset, send one at another time (daily 04:30, weekly 22:00), or send a cron expression (minute hour day-of-month month day-of-week).
conv-job-cron = Send a cron expression: minute hour day-of-month month day-of-week. For example 30 2 * * 1-5 runs on weekdays at 02:30.
conv-job-next-runs =
    Schedule { $cron } in { $tz }. The next runs:
    { $runs }
conv-preset-custom = Custom cron…
conv-job-format = Dump format?
conv-format-sql = Plain SQL (.sql)
conv-format-custom = pg_dump custom format (-Fc)
conv-format-tar = tar archive
conv-format-rdb = Redis snapshot (RDB)
conv-job-compression = Compression?
conv-compression-gzip = gzip
conv-compression-zstd = zstd
conv-compression-none = none
conv-job-encryption = Encrypt the backup files?
conv-enc-recipients = age public keys (recommended)
conv-enc-passphrase = A passphrase
conv-enc-none = No encryption
conv-job-recipients = Send one or more age public keys (age1…), separated by spaces or new lines. Only the holders of the matching secret keys can decrypt the backups; this server never can.
conv-job-passphrase = Send the passphrase that encrypts the backups. You need it to restore, so keep it somewhere safe.
conv-job-part-size = Largest size of one part file? { $size } keeps every part downloadable through the cloud Bot API. With a self-hosted Bot API server you can send a larger size, for example 500MiB.
conv-job-retention = How many backups should be kept? Older ones are deleted after each successful run.
conv-retention-recommended = 14 latest + 7 daily + 4 weekly + 6 monthly (recommended)
conv-retention-last7 = The 7 latest
conv-retention-last30 = The 30 latest
conv-retention-all = Keep everything
conv-retention-custom = Custom rule…
conv-job-retention-custom = Send the rule, for example keep_last=10 keep_daily=7 keep_weekly=4 keep_monthly=12 max_age_days=365 (any of them).
conv-job-notify-success = Where should success messages go?
conv-job-notify-failure = Where should failure alerts go?
conv-notify-same = The destination chats
conv-notify-other = Another chat…
conv-job-notify-chat = Send the chat id (-100…), the public @username, or forward a message from that chat. The bot must be allowed to post there.
conv-job-notify-thread = Topic (thread) id in that chat? Press "No topic" if it is not a forum.
conv-job-field-source = Source
conv-job-field-destinations = Destinations
conv-job-field-name = Name
conv-job-field-timezone = Time zone
conv-job-field-schedule = Schedule
conv-job-field-format = Format
conv-job-field-compression = Compression
conv-job-field-encryption = Encryption
conv-job-field-partSize = Part size
conv-job-field-retention = Retention
conv-job-field-notifySuccess = Success messages
conv-job-field-notifyFailure = Failure alerts
conv-summary-enc-none = none
conv-summary-enc-passphrase = age, passphrase
conv-summary-enc-recipients = age, { $n ->
    [one] one recipient
   *[other] { $n } recipients
  }
conv-summary-keep-all = everything
conv-summary-tz-default = { $tz } (default)
conv-summary-route-topic = { $chat }, topic { $topic }
conv-job-summary =
    Review the new job:
    Name: { $name }
    Source: { $source }
    Destinations: { $destinations }
    Schedule: { $schedule }, { $timezone }
    Format: { $format }, compression: { $compression }
    Encryption: { $encryption }
    Part size: { $partSize }
    Keep: { $retention }
    Success messages: { $success }
    Failure alerts: { $failure }
conv-job-created = ✅ Job "{ $name }" created. Next run: { $next }. Run it now with /runnow { $name }.

## Part sizes that can be read back (issue 9, item 5)
conv-err-part-size-cloud = { $size } is above the 20 MB a bot can download from the cloud Bot API, so parts stored in "{ $destination }" could never be read back or restored by this tool. Send 19MiB or less (or use a self-hosted Bot API server, which takes parts up to 2000 MB).
conv-dest-mirror = Mirror chat? Every verified backup can also be copied to a second chat (add this bot there as an administrator too): restores fall back to it when a file in the main chat is damaged or gone. Send its id, @username or a forwarded message, or press "No mirror".
conv-btn-no-mirror = No mirror
conv-field-mirror = Mirror chat
