"""docker-compose.yml (no Docker engine here): the services and settings the scale-out needs."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_scale_out_services_and_env():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"postgres", "redis", "web", "worker-cpu", "worker-gpu"} <= services.keys()
    assert "-Q cpu" in services["worker-cpu"]["command"] and "-Q gpu" in services["worker-gpu"]["command"]
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
    assert "gunicorn webapp.wsgi" in services["web"]["command"]
