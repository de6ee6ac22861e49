# Hooks, pings and webhooks of a job (src/application/hooks.ts, src/application/pings.ts)

# A hook that failed, as the reason of a failed run ({ $stage }: before, after, on_failure)
hook-failed = { $stage } hook { $hook } failed with exit code { $code }: { $output }
hook-timed-out = { $stage } hook { $hook } timed out after { $seconds } s: { $output }
hook-not-run = { $stage } hook { $hook } could not run: { $reason }

# The job card (read-only; hooks, ping and webhook are set in YAML: config import)
job-card-hooks = 🪝 Hooks: before { $before } · after { $after } · on failure { $onFailure } (YAML)
job-card-monitoring = 📡 Ping: { $ping } · webhook: { $webhook } (YAML)
job-card-set = set
