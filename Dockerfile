# One image for the web app and both workers (docker-compose.yml picks the command: scripts/serve <name>).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home segue && mkdir -p /data && chown segue /data
USER segue
ENV SEGUE_VAR_DIR=/data/var MEDIA_ROOT=/data/media INDEX_DIR=/data/indexes STATIC_ROOT=/app/static
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["scripts/serve", "web"]
