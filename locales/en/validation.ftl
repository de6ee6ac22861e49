# Configuration problems (YAML import, the CLI, the bot's dialogs). Each follows the path of the
# bad value: "jobs[1].schedule: …". Values in $value are shown as written ("text", 12, a list).

validation-invalid = is not valid: { $reason }
validation-required = is required
validation-reason = { $reason }
validation-yaml = { $reason }

## shapes
validation-unknown-key = unknown key for { $what } (allowed: { $allowed })
validation-what-file = the file
validation-what-job = a job
validation-what-source = a source
validation-what-destination = a destination
validation-what-source-kind = { $kind } sources
validation-what-destination-kind = { $kind } destinations
validation-what-retention = retention
validation-what-encryption = encryption
validation-what-notify = notify
validation-what-route = route
validation-mapping = must be a mapping, got { $value }
validation-file-type = the file must be a mapping with sources, destinations and jobs lists
validation-section-type = must be a list (each item starting with "- name: …")
validation-source-type = must be a mapping with name, kind and the settings of that kind
validation-destination-type = must be a mapping with name, kind and the settings of that kind
validation-job-type = must be a mapping with name, source, destinations and schedule
validation-retention-type = must be a mapping such as {"{"} keep_last: 14, keep_daily: 7 {"}"}, got { $value }
validation-route-type = must be a mapping with chat_id and optional thread_id
validation-notify-type = must be a mapping with optional success and failure
validation-encryption-type = must be {"{"} recipients: [age1…] {"}"} or {"{"} passphrase: … {"}"}
validation-one-of = must be one of { $allowed }

## values
validation-name-type = must be a text name, got { $value }
validation-name = { $value } is not a valid name: use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit
validation-text = must be text, got { $value }
validation-spaces = must not start or end with spaces
validation-host = { $value } is not a valid host name or address
validation-port = must be a whole number between 1 and 65535, got { $value }
validation-absolute-path = { $value } must be an absolute path (starting with /)
validation-exclude = { $value } is not an exclude pattern: give a pattern relative to the source folder (such as *.log or cache/), without . or .. segments
validation-exclude-list = must be a list of patterns, such as ["*.log", "cache/"]
validation-nul = must not contain NUL characters
validation-volume = { $value } is not a valid Docker volume name
validation-secret-type = must be text (a literal value, env:NAME or file:/path)
validation-secret-empty = must not be empty
validation-secret-ref = is not a valid reference: use env:NAME (letters, digits and _) or file:/absolute/path
validation-secret-protected = may not reference { $name }: that is one of tele-backup's own secrets
validation-bot-token = does not look like a bot token (expected <digits>:<letters>), or use env:NAME / file:/path
validation-chat-id-unsafe = { $value } is not a valid chat id; quote it: "-100…"
validation-chat-id-type = must be a chat id such as "-1001234567890" or "@channel", got { $value }
validation-chat-id = { $value } is not a chat id (e.g. "-1001234567890" or "@channelname")
validation-thread-id = must be a positive whole number (a forum topic id), got { $value }
validation-boolean = must be true or false, got { $value }
validation-count = must be a whole number of 0 or more, got { $value }

## jobs
validation-source-required = is required (the name of a source)
validation-destinations = must be a non-empty list of destination names, e.g. [main-channel]
validation-cron-type = must be a cron expression in quotes, got { $value }
validation-cron-fields = { $value } is not a valid cron expression (expected 5 fields "minute hour day month weekday", or 6 with seconds first)
validation-cron = { $value } is not a valid cron expression ({ $reason })
validation-schedule-seconds = "{ $schedule }" has a seconds field (6 fields). Schedules are set to the minute: use 5 fields, minute hour day-of-month month day-of-week (*/10 * * * * is every 10 minutes). To keep it anyway, add allow_frequent: true to the job.
validation-schedule-too-often = "{ $schedule }" runs more often than every { $min } minutes (some runs only { $gap } min apart). Backups may run at most every { $min } minutes, e.g. */{ $min } * * * *. To keep it anyway, add allow_frequent: true to the job.
validation-timezone-type = must be an IANA time zone such as "Europe/Berlin", got { $value }
validation-timezone = { $value } is not a known IANA time zone (e.g. "Europe/Berlin", "UTC")
validation-timezone-suggest = { $value } is not a known time zone. Did you mean { $zones }?
validation-size = must be a size such as "19MiB", "50MB" or a number of bytes, got { $value }
validation-size-whole = must be a size such as "19MiB", "50MB" or a number of bytes (a whole number of bytes), got { $value }
validation-part-size-range = must be between 1MiB and 2000MiB, got { $value }
validation-part-size-cloud = { $size } is above the 20 MB a bot can download from the cloud Bot API (destination "{ $destination }"); use 19MiB or a self-hosted Bot API server (parts up to 2000 MB)
validation-age-type = must be an age public key (age1…), got { $value }
validation-age-secret = is an age SECRET key; give its public key (age1…) instead (age-keygen -y)
validation-age = { $value } is not a valid age recipient (expected a public key starting with age1)
validation-recipients = must be a non-empty list of age public keys (age1…)
validation-encryption-one = give exactly one of recipients or passphrase
validation-format = must be one of { $allowed }, got { $value }
validation-format-kind = { $value } is not available for { $kind } sources (use { $allowed })
validation-listed-twice = { $value } is listed twice
validation-no-source = no source named "{ $name }"
validation-no-destination = no destination named "{ $name }"
validation-adopted-passphrase = job "{ $job }" was adopted without its passphrase: set encryption: {"{"} passphrase: … {"}"} before enabling it
validation-adopted-password = source "{ $source }" was adopted without its password: set its password before enabling job "{ $job }"

## references between entries
validation-mask-nothing-stored = "***" is the export mask and there is no stored { $key } to keep; give the { $key } or an env:/file: reference
validation-name-taken-source = a source named "{ $name }" already exists
validation-name-taken-destination = a destination named "{ $name }" already exists
validation-name-taken-job = a job named "{ $name }" already exists
validation-defined-twice = "{ $name }" is already defined at { $at }
validation-kind-breaks-format = job "{ $job }" (not in this file) uses format "{ $format }", which { $kind } sources do not support; change or include that job too
validation-kind-breaks-part-size = job "{ $job }" (not in this file): part_size { $reason }; change or include that job too

# hooks, ping and webhook of a job (issue 16)
validation-what-hooks = hooks (before, after, on_failure)
validation-what-hook = a hook
validation-hook-list = must be a list of hooks ({"{"} run: …, container: …, timeout: … {"}"})
validation-hook-run = must be a command: a line of shell, or a list of arguments
validation-hook-container = { $value } is not a valid container name
validation-lock-wait-timeout = must be a whole number of seconds from 1 to 86400, got { $value }
validation-hook-timeout = must be a whole number of seconds from 1 to 3600, got { $value }
validation-ping-url = must be an http:// or https:// URL (or an env:/file: reference to one)
validation-what-drill = drill (schedule, identity)
validation-what-anomaly = anomaly (size_below, size_above, history, tables_drop, rows_drop, min_rows)
validation-drill-schedule = must be "weekly" or a cron expression in quotes, got { $value }
validation-drill-identity = must be an age identity (AGE-SECRET-KEY-1…) or an env:/file: reference to one
validation-anomaly-number = must be a number of 0 or more (history: a whole number of runs), got { $value }
validation-s3-endpoint = must be the S3 endpoint as an http(s) URL without query or credentials (https://s3.eu-central-1.amazonaws.com, http://minio:9000), got { $value }
validation-s3-bucket = must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens), got { $value }
validation-s3-region = must be a region name such as us-east-1 or auto, got { $value }
validation-s3-prefix = must be a key prefix of at most 512 characters without "." or ".." segments, got { $value }
validation-s3-storage-class = must be an S3 storage class such as STANDARD_IA or GLACIER_IR, got { $value }
validation-s3-access-key = must be the access key id (3-128 printable characters, no spaces)
