# Spell's server as an image: `docker build -t spell .` (docs/deploy.md).
# Three stages: the Python environment, the dashboard's static export, and the runtime image,
# which holds neither compilers nor Node and runs as a user of its own.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${PYTHON_IMAGE} AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/spell
COPY pyproject.toml README.md ./
COPY spell_mcp spell_mcp
COPY registry registry
COPY runtime runtime
COPY billing billing
COPY spell_client spell_client
RUN /opt/spell/bin/pip install . && /opt/spell/bin/python -m compileall -q /opt/spell

FROM ${NODE_IMAGE} AS dashboard
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./
RUN NEXT_TELEMETRY_DISABLED=1 npm run build

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/spell --create-home spell
COPY --from=python /opt/spell /opt/spell
COPY --from=dashboard /web/out /opt/spell/web
ENV PATH=/opt/spell/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SPELL_HOME=/var/lib/spell \
    SPELL_HOST=0.0.0.0 \
    SPELL_PORT=8000 \
    SPELL_WEB_DIR=/opt/spell/web \
    SPELL_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/spell
# The store's directory: caches of this host (compiled modules, unpacked resources) when blobs
# are in an object store (SPELL_BLOB_URL); everything, SQLite included, when they are not.
VOLUME /var/lib/spell
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["spell", "serve"]
