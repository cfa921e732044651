"""Every task module; importing this package registers all job kinds."""

from workers.tasks import catalog, diagnostics, listening, videos

__all__ = ["catalog", "diagnostics", "listening", "videos"]
