# syntax=docker/dockerfile:1
# Build stage: install the service into a virtualenv.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir .

# Runtime stage: the virtualenv only, run as an unprivileged user, configured by environment.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 points \
 && mkdir /data && chown points /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    POINTS_DATABASE_URL=sqlite:////data/points.db
WORKDIR /data
USER points
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["points-service", "serve", "--host", "0.0.0.0", "--port", "8000"]
