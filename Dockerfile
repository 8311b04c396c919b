# Briefbot in a container: runtime dependencies only, a non-root user, the store on a volume.
#
#   docker build -t briefbot .
#   docker run -d -e BRIEFBOT_TOKEN=... -v briefbot-data:/data briefbot
#
# deploy/compose.yaml adds a config file and a feed source. Any other command runs the same way:
#   docker run --rm -v briefbot-data:/data briefbot ingest https://example.org/feed.xml

# The wheel is built apart, so the image holds neither the source tree nor build tools.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BRIEFBOT_DB=/data/briefbot.sqlite3
# The package with its runtime dependencies only: no [dev] or [bench] extras.
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin briefbot \
    && mkdir -p /data /etc/briefbot \
    && chown briefbot:briefbot /data
# The store and its saved index live here, and outlive the container.
VOLUME ["/data"]
WORKDIR /data
# The briefbot user, by number: a runtime can then check it is not root without a lookup.
USER 10001:10001
# Healthy: the store opens, its index loads, and no source failed past its back-off cap.
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s --retries=3 \
    CMD ["briefbot", "health"]
ENTRYPOINT ["briefbot"]
CMD ["run"]
