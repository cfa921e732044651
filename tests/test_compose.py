"""docker-compose.yml (no Docker engine here): the services and settings the scale-out needs.

The processes' commands live in scripts/serve; tests/e2e/test_scaleout.py runs them for real."""

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def serve_print(name: str, **env: str) -> str:
    """What ``scripts/serve <name>`` would run, without running it."""
    res = subprocess.run([str(ROOT / "scripts" / "serve"), "--print", name], env={"PATH": "/usr/bin:/bin", **env},
                         capture_output=True, text=True, check=True)  # fmt: skip
    return res.stdout


def test_compose_has_scale_out_services_and_env():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"postgres", "redis", "web", "worker-cpu", "worker-gpu"} <= services.keys()
    for name in ("web", "worker-cpu", "worker-gpu"):
        assert services[name]["command"] == ["scripts/serve", name]
        # the schema exists before any of them starts (a worker's heartbeat needs its table)
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["command"] == ["scripts/serve", "migrate"] and services["migrate"]["restart"] == "no"
    assert "-Q cpu " in serve_print("worker-cpu") and "-Q gpu " in serve_print("worker-gpu")
    gpu = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    for name in ("web", "worker-cpu", "worker-gpu"):
        env = services[name]["environment"]
        for key in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "MEDIA_ROOT",
            "INDEX_DIR",
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
        ):
            assert key in env, (name, key)
        assert env["DATABASE_URL"].startswith("postgres://") and env["CELERY_BROKER_URL"].startswith("redis://")
        assert {"media:/data/media", "indexes:/data/indexes"} <= set(services[name]["volumes"])
    web = serve_print("web").splitlines()
    assert web[0] == "python manage.py migrate --noinput"
    assert web[1] == "python -m gunicorn webapp.wsgi -b 0.0.0.0:8000 --workers 3 --threads 4 --timeout 120"
    assert services["web"]["environment"]["WEB_WORKERS"] == "${WEB_WORKERS:-3}"


def test_serve_takes_every_knob_from_the_environment():
    web = serve_print("web", PYTHON="/venv/bin/python", BIND="127.0.0.1:9", WEB_WORKERS="5", WEB_THREADS="2",
                      WEB_TIMEOUT="30", WEB_ACCESS_LOG="-")  # fmt: skip
    assert web.splitlines()[1] == (
        "/venv/bin/python -m gunicorn webapp.wsgi -b 127.0.0.1:9 --workers 5 --threads 2 --timeout 30 "
        "--access-logfile -"
    )
    cpu = serve_print("worker-cpu", CPU_WORKER_CONCURRENCY="7", WORKER_NAME="a@b", WORKER_POOL="solo")
    assert cpu.strip() == "python -m celery -A workers worker -Q cpu --concurrency 7 -n a@b --pool solo --loglevel INFO"
    assert "-Q gpu --concurrency 1 -n gpu@%h" in serve_print("worker-gpu")
    assert "-Q cpu,gpu --concurrency 2" in serve_print("worker")
    assert serve_print("migrate").strip() == "python manage.py migrate --noinput"
    bad = subprocess.run([str(ROOT / "scripts" / "serve"), "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr
