# Slipway, self-hosted. Multi-stage: build the release binary and the site
# (wasm bundle + CSS), then a slim runtime with a data volume, as a non-root user.
# Images cannot be pulled on Slipway's own CI machines, so this file is kept
# correct by reading; see the README ("Running in Docker").

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install --quiet wasm-bindgen-cli --version 0.2.130
WORKDIR /src
# wasm-opt from npm: Debian's binaryen breaks release hydration.
RUN mkdir -p .tools && npm install --silent --prefix .tools binaryen@132.0.0
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY migrations migrations
COPY server server
COPY web web
COPY tests tests
COPY scripts scripts
RUN scripts/build-site.sh release /out/site \
 && cargo build --release -p slipway-web --bin slipway \
 && cp target/release/slipway /out/slipway

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data slipway \
 && mkdir -p /data && chown slipway:slipway /data
COPY --from=build /out/slipway /usr/local/bin/slipway
COPY --from=build /out/site /usr/share/slipway/site
ENV SLIPWAY_DATA_DIR=/data \
    SLIPWAY_LISTEN=0.0.0.0:3000 \
    SLIPWAY_SITE_ROOT=/usr/share/slipway/site \
    SLIPWAY_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 3000
# Non-root; to use the host's Docker engine the container joins the socket's
# group (docker-compose.yml: group_add).
USER slipway
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/slipway"]
CMD ["serve"]
