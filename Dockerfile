# Tele-Backup: the backup sidecar image.
#
#   docker build -t tele-backup .
#
# Build arguments:
#   NODE_IMAGE  the Node.js base image: a supported LTS on Debian bookworm (the code also runs on Node 20).
#   PG_CLIENTS  pgdg (default): the PostgreSQL clients of every major in PG_MAJORS from the PostgreSQL
#               project's apt repository (apt.postgresql.org), so that pg_dump is never older than the
#               server it dumps. debian: Debian's own postgresql-client (15) only, for builders that cannot
#               reach apt.postgresql.org; it dumps servers up to PostgreSQL 15.
#   PG_MAJORS   the PostgreSQL client majors installed with PG_CLIENTS=pgdg (the supported server majors).
#
# Works with the classic builder and with BuildKit, and with `docker build --network host`.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- deps: every dependency; native addons (better-sqlite3) are compiled here, once ----
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: TypeScript to dist/ (bundled: scripts/build.mjs) ----
FROM deps AS build
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/launcher.mjs ./scripts/
COPY src ./src
RUN npm run build

# ---- prod-deps: the same node_modules without dev dependencies (nothing is compiled again) ----
FROM deps AS prod-deps
# better-sqlite3 needs only its compiled addon at run time, not the SQLite sources and objects
# of a local compilation (a downloaded prebuilt has none of them). Optional packages stay out
# too: typescript would come in as valibot's optional peer, and nothing optional (cpu-features
# for ssh2, esbuild's binary for tsx) is used by dist/ at run time.
RUN npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build/deps build/Release/obj build/Release/obj.target build/Release/.deps \
      build/Release/test_extension.node build/Release/sqlite3.a

# ---- runtime: production dependencies, dump/restore clients, non-root ----
FROM ${NODE_IMAGE} AS runtime
ARG PG_CLIENTS=pgdg
ARG PG_MAJORS="15 16 17 18 19"
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates tini tzdata sqlite3 zstd age mariadb-client redis-server; \
    case "$PG_CLIENTS" in \
      pgdg) \
        apt-get install -y --no-install-recommends postgresql-common; \
        /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
        pkgs=""; for v in $PG_MAJORS; do pkgs="$pkgs postgresql-client-$v"; done; \
        apt-get install -y --no-install-recommends $pkgs ;; \
      debian) \
        apt-get install -y --no-install-recommends postgresql-client ;; \
      *) echo "PG_CLIENTS must be pgdg or debian, not '$PG_CLIENTS'" >&2; exit 1 ;; \
    esac; \
    rm -rf /var/lib/apt/lists/*; \
    ls /usr/lib/postgresql; pg_dump --version; mariadb-dump --version; sqlite3 --version; zstd --version; age --version; redis-cli --version; redis-server --version

ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
COPY package.json ./
COPY drizzle ./drizzle
COPY locales ./locales
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The program files stay root-owned and read-only for the user it runs as.
RUN chmod 0755 dist/main.js \
 && ln -s /app/dist/main.js /usr/local/bin/tele-backup \
 && mkdir -p /data \
 && chown node:node /data

# uid 1000 of the Node image. Volume backups need the Docker socket: see the README's "Security".
USER node
VOLUME /data
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["tele-backup", "health"]
# tini as PID 1 forwards SIGTERM to Node, which stops the scheduler, interrupts running backups
# and exits; without it `docker stop` would wait its full timeout and then kill.
ENTRYPOINT ["/usr/bin/tini", "--", "tele-backup"]
# Applies the database migrations, then runs the bot and the scheduler.
CMD ["run"]
