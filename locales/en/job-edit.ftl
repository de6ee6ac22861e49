## Changing a job from its card (issue 13, item 1) and the job dialog's safety steps (item 5)

job-btn-edit = ✏️ Edit settings
job-edit-dialog = job edit
job-edit-btn = { $field }: { $value }
job-edit-enc-passphrase = passphrase
job-edit-enc-keys = age ({ $n ->
    [one] one key
   *[other] { $n } keys
  })
job-edit-saved = ✅ Job "{ $job }" changed:
job-edit-nothing = Nothing changed in job "{ $job }".
job-edit-changed-line = • { $field }: { $before } → { $after }
job-edit-passphrase-changed = • Encryption: a new passphrase
job-edit-keys-changed = • Encryption: new keys
job-edit-old-passphrase-kept = 🔐 Backups made before keep the passphrase they were made with: /restore still opens them without asking.
job-edit-old-keys-needed = 🔐 Backups made before stay encrypted to the previous keys: keep their secret keys until those backups are gone, you need them to restore.

## Passphrases: typed twice, with a minimum strength
job-pass-rule = It must have at least { $min } characters, not only digits and not a few characters repeated; a few unrelated words work well (for example: violet tractor moon ladder).
job-pass-again = 🔁 Send the same passphrase once more, to be sure it has no typo.
job-pass-too-short = That passphrase is too short: it needs at least { $min } characters.
job-pass-too-simple = That passphrase is too easy to guess (only digits, or a few characters repeated).
job-pass-mismatch = The two passphrases differ. Let us start again.

## Unencrypted backups in Telegram chats
job-enc-none-telegram = ⚠️ Without encryption, anyone who can read { $destinations } can open these backups (every member of the chat, and anyone who is added later). Encrypt them?
job-enc-btn-encrypt = 🔐 Choose encryption
job-enc-btn-plain = Go on without encryption
job-summary-plain-telegram = ⚠️ Not encrypted: anyone who can read { $destinations } can open these backups.
