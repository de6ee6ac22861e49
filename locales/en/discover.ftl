# Compose discovery: /discover and `tele-backup discover` (src/application/discover.ts)

cmd-discover = Find databases and volumes in Docker and add them as sources

discover-unavailable = Discovery is not available in this setup.
discover-none = Docker shows no PostgreSQL, MariaDB/MySQL or Redis container and no named volume.
discover-title = Found in Docker ({ $count }). Tap one to test the connection and add it as a source:
discover-item = { $icon } { $label } ({ $image }): { $target }
discover-item-covered = ✓ already backed up by source "{ $source }"
discover-testing = Testing the connection…
discover-added = ✅ Connection test passed. Source "{ $name }" ({ $kind }) saved: create a job for it with /newjob.
discover-added-version = Server: { $version }
discover-added-encrypted = The password is stored encrypted.
discover-added-reference = The password is read from { $reference } at each run, as the container itself does: mount the same secret into Tele-Backup.
discover-btn-card = Source "{ $name }"
discover-already-covered = ✓ Nothing to add: source "{ $source }" already backs this up.
discover-gone = This container or volume is no longer there. Send /discover again.
discover-failed = ❌ Not added, nothing was saved: { $reason }
discover-docker-unreachable = Cannot reach Docker, so there is nothing to discover. Mount the Docker socket into Tele-Backup (/var/run/docker.sock) or set DOCKER_HOST. ({ $reason })
discover-docker-failed = Docker refused the request: { $reason }

discover-problem-not-running = container { $container } is not running
discover-problem-no-host = container { $container } shares no network with Tele-Backup and has no IP address: put both on one Compose network
discover-problem-no-database = container { $container } names no database (MARIADB_DATABASE / MYSQL_DATABASE): add it with /newsource
discover-problem-no-credentials = container { $container } has no password in its environment (a random root password?): add it with /newsource
discover-problem-gone = the container is gone
discover-failed-secret = the container reads its password from { $reference }, which Tele-Backup cannot read: mount the same secret into the Tele-Backup container
discover-failed-test = the connection test failed: { $reason }
discover-failed-invalid = the settings found are not valid ({ $field }): { $issue }

# `tele-backup discover`
discover-cli-col-n = #
discover-cli-col-kind = KIND
discover-cli-col-what = CONTAINER / VOLUME
discover-cli-col-target = CONNECTS TO
discover-cli-col-state = STATE
discover-cli-covered = ✓ source { $source }
discover-cli-new = new: would be "{ $name }"
discover-cli-hint = Add one with: tele-backup discover --add <number or name>
discover-cli-no-such = Nothing found as "{ $which }": run tele-backup discover to see the list.
