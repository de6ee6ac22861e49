## Editing sources and destinations (✏️ Edit on their cards), the review before saving a new one, read rights

btn-edit = ✏️ Edit
conv-btn-save = 💾 Save
conv-dialog-edit-source = source editing
conv-dialog-edit-destination = destination editing
conv-src-review = Review the new source before saving it:
conv-dest-review = Review the new destination before saving it:
conv-field-language = Language
edit-secret-set = •••• (set)
edit-src-head = ✏️ Changing source "{ $name }".
edit-dest-head = ✏️ Changing destination "{ $name }".
edit-src-saved = ✅ Source "{ $name }" saved. The jobs using it take the new settings from their next run.
edit-dest-saved = ✅ Destination "{ $name }" saved. The jobs delivering to it take the new settings from their next run.
edit-unchanged = Nothing was changed.
edit-dest-language = In which language should the bot post in this chat?
conv-test-failed-edit =
    ❌ The connection test failed:
    { $reason }

    Nothing was saved. Try again, change the setting, or cancel.
edit-card-server = Server: { $server }
edit-card-mirror = Mirror chat: { $chat }
edit-card-language = Language of posts: { $language }
source-error-pg-unreadable = user { $user } cannot read everything in database { $database }: no SELECT (or no USAGE on the schema) for { $tables }. A backup would fail. Grant it, e.g. GRANT SELECT ON ALL TABLES IN SCHEMA … TO { $user }.
source-error-mysql-rights = user { $user } lacks { $rights } on database { $database }: a backup would fail or leave things out. Grant them on the whole database, e.g. GRANT { $rights } ON `{ $database }`.* TO …
source-error-dir-unreadable = some files or folders under { $path } cannot be read and would be left out of the backup: { $paths }
