FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The lock pins every package, direct and indirect, with hashes (`make lock` regenerates it).
COPY requirements.lock .
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
# A throwaway random key: settings refuse placeholders outside DEBUG, and none is baked into the image.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" DEBUG=false ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

# Prometheus multiprocess mode (docs/operations.md): every process of a container writes its
# samples here and /metrics on any of them returns the sum. compose mounts a tmpfs on it for
# web and worker, so it is empty at every start.
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN useradd --create-home app && mkdir -p /tmp/prometheus && chown -R app /app /tmp/prometheus
USER app
EXPOSE 8000
# web: stateless, scale with `docker compose up --scale web=3`. The same uvicorn command as
# scripts/cluster.py (uvicorn_command; tests/test_server_command.py keeps them equal).
# X-Forwarded-* are trusted from private networks only (nginx on the compose network).
ENV FORWARDED_ALLOW_IPS=127.0.0.1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16
# On `docker stop` (SIGTERM) sockets close with 1012 and the process exits within 5 s,
# inside Docker's 10 s grace period (docker-compose gives it 15 s: stop_grace_period).
# Healthy = /ready/ answers 200 to a Host that ALLOWED_HOSTS accepts (scripts/healthcheck.py);
# the worker overrides it in docker-compose.yml (`--worker`).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 CMD ["python", "scripts/healthcheck.py"]
CMD ["python", "-m", "uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio", "--lifespan", "off", "--no-access-log", "--log-config", "config/uvicorn_logging.json", "--proxy-headers", "--timeout-graceful-shutdown", "5", "--ws-max-size", "1048576"]
