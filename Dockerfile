# Multi-stage build of the `ai-admin` binary: compile in the Rust image, run as a
# non-root user in a slim Debian image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ai-admin \
 && strip target/release/ai-admin

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app ai-admin
COPY --from=build /src/target/release/ai-admin /usr/local/bin/ai-admin
USER ai-admin
WORKDIR /app
ENV APP_ENV=production PORT=3000 DATA_DIR=/app/data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/marketplace/health" || exit 1
CMD ["ai-admin", "serve"]
