# syntax=docker/dockerfile:1
# regwarden in a container: a slim base pinned by digest, dependencies and build backend installed from
# the hash-pinned locks (requirements/runtime.lock, requirements/build.lock), a non-root user, and
# `regwarden` as the entrypoint. Build: `docker build -t regwarden .` (or `podman build`); see
# docs/scheduling.md ("Container image") for running it and the Kubernetes CronJob.
#
# The base is python:3.11-slim (Debian trixie, Python 3.11.15) pinned by the digest of its
# multi-platform image index, as docker-library/repo-info lists it (repos/python/remote/3.11-slim.md,
# commit 2477d553d2fdfa57b4ec11f63c8376eca8b7a253). A mirror, or a test without registry access, can
# pass its own copy: --build-arg BASE=registry.internal/python:3.11-slim@sha256:...
ARG BASE=docker.io/library/python:3.11-slim@sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements/runtime.lock requirements/build.lock requirements/
RUN python3 -m venv /opt/regwarden \
 && /opt/regwarden/bin/python -m pip install --require-hashes --no-deps -r requirements/runtime.lock \
 && python3 -m venv /opt/build \
 && /opt/build/bin/python -m pip install --require-hashes --no-deps -r requirements/build.lock
COPY pyproject.toml README.md ./
COPY scanner/ scanner/
COPY connectors/ connectors/
COPY reports/ reports/
# regwarden itself, built with the pinned backend (no build isolation: nothing fetched unpinned)
RUN /opt/build/bin/python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && /opt/regwarden/bin/python -m pip install --no-deps /wheels/regwarden-*.whl \
 && /opt/regwarden/bin/regwarden --version

FROM ${BASE}
RUN groupadd --system --gid 10001 regwarden \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/regwarden --create-home \
      --shell /usr/sbin/nologin regwarden \
 && mkdir /work \
 && chown regwarden:regwarden /work
COPY --from=build /opt/regwarden /opt/regwarden
ENV PATH=/opt/regwarden/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["regwarden"]
CMD ["--help"]
