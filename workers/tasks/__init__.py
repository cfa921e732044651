"""Every task module; importing this package registers all job kinds."""

from workers.tasks import catalog, diagnostics, videos

__all__ = ["catalog", "diagnostics", "videos"]
