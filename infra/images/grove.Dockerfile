# The api and the router (--build-arg SERVICE=api|router), from the self-contained bundles that
# `npm run build` makes (infra/dist/image: every dependency inside, no node_modules) on grove-base
# (Debian minbase + Node.js, made by infra/images/build). Built by infra/images/build or compose.
ARG BASE=localhost/grove-base:latest

FROM ${BASE} AS stage
ARG SERVICE
COPY infra/dist/image/${SERVICE}.js /opt/grove/${SERVICE}.js
COPY packages/db/drizzle /opt/grove/packages/db/drizzle
COPY infra/images/entrypoint.sh infra/images/ready.mjs /opt/grove/
# only the api migrates; a bundle that does not parse fails the build, not the start
RUN test "${SERVICE}" = api || rm -r /opt/grove/packages; node --check /opt/grove/${SERVICE}.js

FROM ${BASE}
ARG SERVICE
RUN groupadd --gid 10001 grove && \
    useradd --uid 10001 --gid grove --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin grove
COPY --from=stage /opt/grove /opt/grove
ENV NODE_ENV=production GROVE_SERVICE=${SERVICE} GROVE_API_HOST=0.0.0.0 GROVE_ROUTER_HOST=0.0.0.0
USER 10001:10001
ENTRYPOINT ["/opt/grove/entrypoint.sh"]
CMD ["sh", "-c", "exec node /opt/grove/$GROVE_SERVICE.js"]
