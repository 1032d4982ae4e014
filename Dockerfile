# syntax=docker/dockerfile:1
#
# authsvc container image.
#
# Two stages: the builder resolves dependencies and installs authsvc into a
# self-contained virtualenv; the runtime stage copies only that virtualenv and
# the source tree, so no pip cache, build isolation or wheel leftovers ship.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Install the runtime dependencies on their own first, read straight from
# pyproject.toml, so that editing application code does not invalidate this
# slow layer.
COPY pyproject.toml ./
RUN python -c "import tomllib, sys; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; sys.stdout.write('\n'.join(deps) + '\n')" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then install authsvc itself (non-editable). templates/, static/ and
# migrations/ stay beside it in /app, where the app looks for them. The
# in-tree build leftovers are removed, and the tree is byte-compiled with hash
# validation because the runtime root filesystem is read-only and file
# modification times are not reliable across image layers.
COPY . .
RUN pip install --no-deps . \
    && pip check \
    && rm -rf build ./*.egg-info \
    && python -m compileall -q --invalidation-mode checked-hash /app


FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="authsvc" \
      org.opencontainers.image.description="Multi-tenant identity platform" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUTHSVC_ENV=production \
    AUTHSVC_ROOT=/app

# A fixed numeric uid/gid so Kubernetes can verify runAsNonRoot and the
# chart's securityContext can name the same ids.
RUN groupadd --system --gid 10001 authsvc \
    && useradd --system --uid 10001 --gid authsvc --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin authsvc

# Both trees stay owned by root: the service user can read, not modify, them.
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

WORKDIR /app
USER 10001:10001

EXPOSE 8000

# The slim image has no curl, so probe with the interpreter that is already
# there. urlopen raises on connection errors and non-2xx answers, which makes
# the command exit non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["authsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]
