# The dashboard's image: Python 3.11 slim, the runtime requirements only (requirements.txt,
# every file checked against its hash), run as an unprivileged user. compose.yaml runs it
# three ways: `manage.py db upgrade` once (the migrate service), then `streamlit run app.py`
# on two replicas behind the proxy. Build: docker compose build (or docker build -t rrd .).
FROM python:3.11-slim

# DejaVu Sans: the PDF report's Unicode font (reports/pdf.py); Liberation for the charts'
# PNG/SVG exports. Nothing else from Debian is needed at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only the runtime lock file: pytest, playwright, ruff and mypy (requirements-dev.txt) stay out.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

# The code (.dockerignore keeps out tests, benchmarks, databases, .venv and git).
COPY . .

# An unprivileged user that owns only /data (users file, cookie key, uploads' scratch).
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin rrd \
    && mkdir -p /data && chown rrd:rrd /data
USER rrd

ENV USERS_FILE=/data/users.yaml
EXPOSE 8501

# Healthy when the database answers and its schema is at the newest migration.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "manage.py", "health"]

CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", \
     "--server.headless=true", "--server.fileWatcherType=none"]
