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
