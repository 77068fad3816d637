# dsync as one compiled binary. Build: docker build -t dsync:local .
# Run: docker run -e DSYNC_ID=n1 ... dsync:local node   (every option as a DSYNC_* variable)
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY protocol ./protocol
COPY src ./src
# The lock file pins every npm package; the compile task grants the node's permissions.
RUN deno cache --frozen src/main.ts && deno task compile

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data dsync \
  && mkdir -p /data && chown dsync /data
COPY --from=build /src/dist/dsync /usr/local/bin/dsync
USER dsync
VOLUME ["/data"]
# Client (RESP), peer, metrics.
EXPOSE 7001 7101 9464
ENTRYPOINT ["/usr/local/bin/dsync"]
CMD ["--help"]
