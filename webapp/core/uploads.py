"""Uploaded files: the size limit, checked once with one answer (413), and the upload as a file on disk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rest_framework.response import Response

from recommender.media import MediaError


class TooLarge(MediaError):
    """The file is larger than its limit: the API answers 413, an import reports it as any unusable file."""

    status_code = 413


def check_size(fileobj, name: str, limit: int) -> int:
    """The file's size in bytes; TooLarge above ``limit``."""
    size = getattr(fileobj, "size", 0) or 0
    if size > limit:
        raise TooLarge(f"{name}: larger than the limit of {limit // 2**20} MB")
    return size


def rejection(exc: MediaError) -> Response:
    """The API's answer to a file it cannot take: 413 when it is too large, else 400; the reason under `file`."""
    return Response({"file": [str(exc)]}, status=getattr(exc, "status_code", 400))


@contextmanager
def on_disk(fileobj, name: str) -> Iterator[Path]:
    """The upload as a path to probe: Django's temporary file when it spooled the upload to disk, else a copy
    (named with the upload's suffix) that is removed afterwards. The file object is left at its start."""
    temp_path = getattr(fileobj, "temporary_file_path", None)
    if temp_path and Path(temp_path()).is_file():
        yield Path(temp_path())
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
        fileobj.seek(0)
        for chunk in iter(lambda: fileobj.read(1 << 20), b""):
            tmp.write(chunk)
        tmp.flush()
        fileobj.seek(0)
        yield Path(tmp.name)
