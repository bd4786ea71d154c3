# Postgres 15 from Debian's packages (grove-base-postgres, made by infra/images/build), as the image's
# `postgres` user (uid 10001, as Grove's other images, so one owner fits every secret file).
# The data directory is initialised on first start, with the password from POSTGRES_PASSWORD
# (or POSTGRES_PASSWORD_FILE) for the user POSTGRES_USER (default grove) and database POSTGRES_DB.
ARG BASE=localhost/grove-base-postgres:latest
FROM ${BASE}
RUN usermod --uid 10001 postgres && groupmod --gid 10001 postgres && \
    install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data && \
    install -d -o postgres -g postgres -m 2775 /run/postgresql
COPY infra/images/entrypoint.sh /usr/local/bin/grove-entrypoint
COPY infra/images/postgres-start.sh /usr/local/bin/grove-postgres
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER 10001:10001
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/grove-entrypoint"]
CMD ["/usr/local/bin/grove-postgres"]
