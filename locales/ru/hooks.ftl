# Хуки, пинги и вебхуки задания (src/application/hooks.ts, src/application/pings.ts)

# Хук, который не удался, как причина неудачного запуска ({ $stage }: before, after, on_failure)
hook-failed = хук { $stage } { $hook } завершился с кодом { $code }: { $output }
hook-timed-out = хук { $stage } { $hook } не уложился в { $seconds } с: { $output }
hook-not-run = хук { $stage } { $hook } не удалось запустить: { $reason }

# Карточка задания (только чтение; хуки, пинг и вебхук задаются в YAML: config import)
job-card-hooks = 🪝 Хуки: перед { $before } · после { $after } · при ошибке { $onFailure } (YAML)
job-card-monitoring = 📡 Пинг: { $ping } · вебхук: { $webhook } (YAML)
job-card-set = задан
