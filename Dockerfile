# The booking server in a small image: built with the same command as the
# README (cargo build --release), run as a non-root user, database and
# config under one volume (/var/lib/booking). See docs/OPERATIONS.md.
FROM rust:1.94-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p booking-server

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/booking --shell /usr/sbin/nologin booking \
 && mkdir -p /var/lib/booking \
 && chown booking:booking /var/lib/booking
COPY --from=build /src/target/release/booking-server /usr/local/bin/booking-server
USER booking
WORKDIR /var/lib/booking
# MALLOC_MMAP_THRESHOLD_: glibc gives each sign-in's 19 MiB password-hash
# memory back at once instead of keeping it (docs/OPERATIONS.md).
ENV BOOKING_BIND=0.0.0.0:8080 \
    BOOKING_DATABASE_URL=sqlite:///var/lib/booking/booking.db?mode=rwc \
    MALLOC_MMAP_THRESHOLD_=131072
VOLUME ["/var/lib/booking"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS --max-time 4 http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["booking-server"]
CMD ["serve"]
