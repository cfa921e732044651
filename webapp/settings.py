"""Segue settings: every knob comes from the environment (12-factor), safe when unset.

Unset, Segue runs the embedded default: SQLite and a SQLite-backed Celery broker under ``var/``,
DEBUG off, hosts limited to the loopback. docker-compose sets the scale-out values.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ

from webapp.core import sizing

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env("SEGUE_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY when given; else a random key kept in VAR_DIR so sessions survive restarts."""
    key = env("SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "webapp.core",
    "webapp.accounts",
    "webapp.drums",
    "webapp.catalog",
    "webapp.videos",
    "webapp.listening",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'segue.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let the web server and the worker write concurrently.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
    # A file (not :memory:) so that real worker processes can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-segue.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here after collectstatic
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve frontend/ directly when collectstatic has not run
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
INDEX_DIR = Path(env("INDEX_DIR", default=str(VAR_DIR / "indexes")))
MODEL_DIR = Path(env("MODEL_DIR", default=str(BASE_DIR / "recommender" / "checkpoints")))

# Request-size limits: uploads stream to disk above 2.5 MB; per-kind limits live in each app.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=500 * 1024 * 1024)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers a request without credentials with the first class's challenge, so API clients get
    # 401 + `WWW-Authenticate: Token` (SessionAuthentication has no challenge: that would be a bare 403). The pages
    # authenticate by session cookie (with CSRF on unsafe methods) as before.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies; the views that take file uploads add multipart themselves. (A form cannot say null or tell an
    # empty value from a missing one, so it would not mean what the schema says.)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "webapp.core.schema.SegueAutoSchema",
    # Lists are filtered by their view's FilterSet (webapp/*/filters.py); an object named in the URL never is.
    "DEFAULT_FILTER_BACKENDS": ["webapp.core.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "webapp.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="60/min"),
        "user": env("THROTTLE_USER", default="1200/min"),
        "jobs": env("THROTTLE_JOBS", default="30/min"),
        "uploads": env("THROTTLE_UPLOADS", default="60/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Segue API",
    "DESCRIPTION": "Music supervision: soundtracks for videos, drum-loop taste learning, listening contexts.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components (e.g. `TrackRequest`): read-only fields stay out of request bodies
    # and file fields are binary in multipart requests.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "JobStateEnum": "webapp.core.models.JobState",
        "AnalysisStateEnum": "webapp.catalog.models.TrackState",  # videos have the same states
        "PreviewStateEnum": "webapp.videos.models.PreviewState",
        "ContextTagEnum": "recommender.context.tags.CONTEXT_TAGS",
    },
}

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's SQLAlchemy transport on a SQLite file, no server to run.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged task returns to the queue after this many seconds (its worker died).
    # kombu sweeps for such messages every interval × throttle seconds (its defaults: 10 × 10).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
    }
else:
    # kombu's SQLAlchemy transport hands these to create_engine(): wait on SQLite locks.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in the Job rows
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Sizing (README: "Footprint and sizing") -------------------------------------------------
# Processes from the machine's cores and memory (webapp/core/sizing.py); each variable overrides.
WEB_WORKERS = env.int("WEB_WORKERS", default=sizing.web_workers())  # gunicorn processes (runlocal)
WEB_THREADS = env.int("WEB_THREADS", default=4)
# Imported by the gunicorn master before it forks (webapp/core/gunicorn.py), beyond the application and its URLconf:
# every worker then holds them (RSS), shared (PSS). numba (the alignment) and the drum learner: a worker that serves
# those requests imports them anyway, and imported there they measured more resident than inherited. No torch: no
# request of the web's everyday paths imports it (the drum learner's Bayesian critic, the situation network and the
# STFT are numpy; tests/test_footprint.py), and preloaded it made every worker ~180 MB larger (docs/benchmarks.md,
# issue 17). "" for none: workers that never serve them stay at ~80 MB.
WEB_PRELOAD = [m for m in env.list("WEB_PRELOAD", default=["recommender.drums.learner", "recommender.alignment"]) if m]
WORKER_CONCURRENCY = env.int("WORKER_CONCURRENCY", default=sizing.worker_concurrency())  # Celery children (runlocal)
# Imported by a worker's main process before it forks its children (workers/memory.py); "" for none (e.g. a cpu
# worker that should never hold torch: its tasks then import what they need themselves).
WORKER_PRELOAD = [
    m
    for m in env.list(
        "WORKER_PRELOAD",
        default=[
            "torch",
            "scipy.signal",
            "librosa.beat",
            "librosa.feature",
            "librosa.onset",
            "recommender.analysis",
            "recommender.models.audio_encoder",
            "recommender.models.crossmodal",
        ],
    )
    if m
]
# runlocal's workers (README, "Footprint and sizing"): by default a `cpu` worker of WORKER_CONCURRENCY children
# preloading CPU_WORKER_PRELOAD (no torch: no cpu-queue task imports it) beside a `gpu` worker (torch and the
# encoders preloaded) that grows to GPU_WORKER_CONCURRENCY children while embeddings queue up and shrinks back to
# GPU_WORKER_IDLE_CHILDREN after 30 s without work (Celery's --autoscale), so ingestion keeps every core busy and
# an idle deployment holds one torch child. WORKER_SPLIT=0: one worker for both queues, torch in every child.
WORKER_SPLIT = env.bool("WORKER_SPLIT", default=True)
GPU_WORKER_CONCURRENCY = env.int("GPU_WORKER_CONCURRENCY", default=WORKER_CONCURRENCY)
GPU_WORKER_IDLE_CHILDREN = min(env.int("GPU_WORKER_IDLE_CHILDREN", default=1), GPU_WORKER_CONCURRENCY)
CPU_WORKER_PRELOAD = [
    m
    for m in env.list(
        "CPU_WORKER_PRELOAD",
        default=["scipy.signal", "librosa.beat", "librosa.feature", "librosa.onset", "recommender.analysis"],
    )
    if m
]
# A worker child that holds more than this after a task is replaced by a fresh one (bounds leaks; 0: never).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("WORKER_MAX_MEMORY_MB", default=1024) * 1024 or None  # kB

# Job leases: a running job refreshes its heartbeat on every progress report; one silent for
# JOB_LEASE_SECONDS is presumed lost with its worker and is queued again (at most JOB_MAX_ATTEMPTS).
JOB_LEASE_SECONDS = env.float("JOB_LEASE_SECONDS", default=120.0)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
JOB_REAPER = env.bool("JOB_REAPER", default=True)
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5.0)
WORKER_STALE_SECONDS = env.float("WORKER_STALE_SECONDS", default=30.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Music catalog --------------------------------------------------------------------------
MAX_TRACK_BYTES = env.int("MAX_TRACK_BYTES", default=200 * 1024 * 1024)
MAX_TRACK_SECONDS = env.float("MAX_TRACK_SECONDS", default=20 * 60)
AUDIO_MODEL_PATH = Path(env("AUDIO_MODEL_PATH", default=str(MODEL_DIR / "audio_encoder.pt")))
# FAISS factory strings (https://github.com/facebookresearch/faiss/wiki/The-index-factory): "Flat" is exact;
# for large catalogs e.g. "IVF4096,SQ8" or "HNSW32". Trained types start exact until 10,000 vectors.
INDEX_FACTORY_TRACKS = env("INDEX_FACTORY_TRACKS", default="Flat")
INDEX_FACTORY_SECTIONS = env("INDEX_FACTORY_SECTIONS", default="Flat")
TAGGER_PATH = Path(env("TAGGER_PATH", default=str(VAR_DIR / "models" / "tagger.npz")))
TAGGER_MIN_LABELS = env.int("TAGGER_MIN_LABELS", default=5)
CROSSMODAL_MODEL_PATH = Path(env("CROSSMODAL_MODEL_PATH", default=str(MODEL_DIR / "crossmodal.pt")))

# --- Videos → soundtracks -------------------------------------------------------------------
MAX_VIDEO_BYTES = env.int("MAX_VIDEO_BYTES", default=500 * 1024 * 1024)
MAX_VIDEO_SECONDS = env.float("MAX_VIDEO_SECONDS", default=10 * 60)
# Alignment re-ranking: "rigid" (the music at its own speed, every start offset) or "dtw" (subsequence DTW).
ALIGNMENT_METHOD = env("ALIGNMENT_METHOD", default="rigid")
ALIGNMENT_CANDIDATES = env.int("ALIGNMENT_CANDIDATES", default=500)
STRUCTURE_WEIGHT = env.float("STRUCTURE_WEIGHT", default=1.0)  # measured: docs/benchmarks.md
# Global ranking and the choice of tracks worth aligning: clip vector and pace fit (recommender.pace), 0: vector only
GLOBAL_PACE_WEIGHT = env.float("GLOBAL_PACE_WEIGHT", default=1.0)
FIT_CANDIDATES = env.int("FIT_CANDIDATES", default=20)  # tracks fitted to the video's length by ?fit=length

# Every training run (context models, taggers, drum critic, encoders) is seeded with this (recommender/seeding.py).
TRAINING_SEED = env.int("SEGUE_SEED", default=0)

# --- Listening contexts ---------------------------------------------------------------------
CONTEXT_MODEL_DIR = Path(env("CONTEXT_MODEL_DIR", default=str(VAR_DIR / "models" / "contexts")))
CONTEXT_RETRAIN_EVERY = env.int("CONTEXT_RETRAIN_EVERY", default=50)  # new listens before retraining
