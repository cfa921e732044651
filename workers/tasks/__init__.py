"""Every task module; importing this package registers all job kinds."""

from workers.tasks import diagnostics

__all__ = ["diagnostics"]
