"""Segue's science as a plain library: arrays and paths in, arrays and dataclasses out.

Never imports Django or Celery.
"""
