# The watchtower image: the command line with its apprise notifications and
# Home Assistant's MQTT entities, in a virtual environment on a Python base,
# recognised by watchtower as itself.
#
#   docker build -t watchtower .    # with network
#   nox -s image                    # without: a local Debian base and wheels
#
# BASE is any Debian-like image with python3 and its venv module: the official
# slim image by default, or Debian's own python3 (python3, python3-venv,
# ca-certificates), which `nox -s image` makes with mmdebstrap. WHEELS names a
# folder of the build context that holds the package and all its dependencies
# as wheels, for a build without network; empty (the default), pip installs
# from the package index.
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
ARG WHEELS=
COPY . /src
RUN python3 -m venv /opt/watchtower \
 && if [ -n "$WHEELS" ]; then \
      /opt/watchtower/bin/pip install --no-cache-dir --no-index \
        --find-links "/src/$WHEELS" "watchtower-updater[cli,apprise,mqtt]"; \
    else \
      /opt/watchtower/bin/pip install --no-cache-dir "/src[cli,apprise,mqtt]"; \
    fi \
 && /opt/watchtower/bin/pip uninstall --yes --quiet pip

FROM ${BASE}
COPY --from=build /opt/watchtower /opt/watchtower
# The history of runs and container changes (watchtower history) lives in /data.
ENV PATH=/opt/watchtower/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WATCHTOWER_DATA_DIR=/data
VOLUME /data
LABEL com.centurylinklabs.watchtower="true" \
      org.opencontainers.image.title="watchtower" \
      org.opencontainers.image.description="Keeps running containers on the images their registries serve" \
      org.opencontainers.image.licenses="Apache-2.0"
# The first check runs one interval after the start; a self-update waits for it.
HEALTHCHECK --interval=10s --timeout=10s --start-period=30s --retries=3 \
    CMD ["watchtower", "--health-check"]
ENTRYPOINT ["watchtower"]
