# nats-server (JetStream) from Debian's packages (grove-base-nats, made by infra/images/build), as uid
# 10001. Its configuration comes from `npm run nats:setup` (nats-cluster.conf, a compose secret).
ARG BASE=localhost/grove-base-nats:latest
FROM ${BASE}
# Debian's package made the nats user: give it uid 10001, as Grove's other images
RUN groupmod --gid 10001 nats && usermod --uid 10001 --gid 10001 --home /data nats && \
    install -d -o nats -g nats -m 0700 /data
COPY infra/images/nats-healthy.sh /usr/local/bin/nats-healthy
USER 10001:10001
EXPOSE 4222 6222 8222
ENTRYPOINT ["/usr/sbin/nats-server"]
CMD ["-c", "/run/secrets/nats_config"]
