# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# WeasyPrint (the PDFs) lays text out with Pango; DejaVu is the PDFs' font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt package.json package-lock.json ./
RUN pip install -r requirements.txt \
    && npm install --omit=dev --no-audit --no-fund --ignore-scripts

COPY . .
RUN DEBUG=1 python manage.py compile_translations \
    && DEBUG=1 python manage.py collectstatic --noinput

RUN useradd --create-home smarketing && mkdir -p /app/var && chown -R smarketing /app/var
USER smarketing
EXPOSE 8000
CMD ["gunicorn", "smarketing.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
