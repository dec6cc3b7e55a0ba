"""Where uploaded bytes live: a small storage interface and its local-disk implementation (Q099).

The interface is the shape of an object store (put a stream under a key, open, delete,
exists, answer a download), so an S3-style backend could replace `LocalFileStorage`
without touching the views: its `send` would redirect to a short-lived presigned URL
instead of streaming the bytes through the app.

Writes are atomic. Bytes go to a temporary file in the *same directory* as their final
name, are flushed, checked and fsynced, and only then renamed into place with
`os.replace` (atomic on one filesystem), so no reader ever sees half a file and a failure
at any step leaves nothing behind. Temporary and trash files start with a dot, so a
stored name (always ``<32 hex digits><.ext>``) can never collide with them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from flask import Response, send_from_directory
from werkzeug.security import safe_join

CHUNK_SIZE = 1024 * 1024
TEMP_PREFIX = ".upload-"
TEMP_SUFFIX = ".tmp"
TRASH_PREFIX = ".trash-"

Verifier = Callable[[BinaryIO], None]


@dataclass(frozen=True)
class StoredObject:
    """What a completed write produced: the generated name, its size and its SHA-256."""

    name: str
    size: int
    sha256: str


class SizeLimitExceeded(Exception):
    """The stream delivered more bytes than the caller allowed; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class Storage(ABC):
    """What the upload code needs from a place that keeps bytes."""

    @abstractmethod
    def save_stream(
        self,
        stream: IO[bytes],
        suffix: str,
        *,
        max_bytes: int | None = None,
        verify: Verifier | None = None,
        name: str | None = None,
    ) -> StoredObject:
        """Store everything `stream` yields under a new name ending in `suffix`.

        `verify` sees the complete bytes before they become visible and may raise to refuse
        them; `name` replaces the generated name for derived files such as thumbnails.
        """

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """A readable binary file object for a stored name."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove a stored object; removing one that is already gone is not an error."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether an object is stored under this name."""

    @abstractmethod
    def move_to_trash(self, name: str) -> str:
        """Hide an object under a trash name that `restore` can undo; returns that name."""

    @abstractmethod
    def restore(self, trash_name: str, name: str) -> None:
        """Put a trashed object back under its original name."""

    @abstractmethod
    def sweep(self, older_than_seconds: float, keep: Callable[[str], bool]) -> list[str]:
        """Remove leftovers (temp, trash, objects `keep` rejects) older than the threshold."""

    @abstractmethod
    def send(
        self, name: str, *, mimetype: str, as_attachment: bool, download_name: str, max_age: int
    ) -> Response:
        """The response that delivers an object to the client."""


class LocalFileStorage(Storage):
    """Files in one directory on the local filesystem (outside `static/`)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """The path of a stored name; names that would leave the folder are refused."""
        joined = safe_join(os.fspath(self.root), name)
        if joined is None or "/" in name or not name:
            raise ValueError(f"not a stored name: {name!r}")
        return Path(joined)

    def save_stream(
        self,
        stream: IO[bytes],
        suffix: str,
        *,
        max_bytes: int | None = None,
        verify: Verifier | None = None,
        name: str | None = None,
    ) -> StoredObject:
        """Copy `stream` to a temporary file chunk by chunk, then publish it atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(name or f"{secrets.token_hex(16)}{suffix}")
        digest = hashlib.sha256()
        size = 0
        # Same directory as the final name: os.replace is only atomic within a filesystem.
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_SIZE):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise SizeLimitExceeded(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                if verify is not None:
                    with temp.open("rb") as written:
                        verify(written)
                # The data must be on disk before the rename makes it visible, or a crash
                # could leave a complete-looking name pointing at empty blocks.
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        self._sync_directory()
        return StoredObject(name=final.name, size=size, sha256=digest.hexdigest())

    def open(self, name: str) -> BinaryIO:
        """Open a stored file for reading."""
        return self.path(name).open("rb")

    def delete(self, name: str) -> None:
        """Unlink a stored file if it is there."""
        self.path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        """Whether a regular file is stored under this name."""
        return self.path(name).is_file()

    def move_to_trash(self, name: str) -> str:
        """Rename the file to a hidden trash name (atomic, and undone by `restore`)."""
        trash_name = f"{TRASH_PREFIX}{secrets.token_hex(8)}-{name}"
        os.replace(self.path(name), self.path(trash_name))
        return trash_name

    def restore(self, trash_name: str, name: str) -> None:
        """Rename a trashed file back to its stored name."""
        os.replace(self.path(trash_name), self.path(name))

    def send(
        self, name: str, *, mimetype: str, as_attachment: bool, download_name: str, max_age: int
    ) -> Response:
        """Serve the file with `send_from_directory`, which re-checks the path (safe_join)."""
        return send_from_directory(
            self.root,
            name,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            max_age=max_age,
        )

    def sweep(self, older_than_seconds: float, keep: Callable[[str], bool]) -> list[str]:
        """Remove temp and trash files, and files `keep` disowns, older than the threshold.

        Only old files go, so an upload still in flight (or just renamed into place and
        not yet committed) is never swept.
        """
        if not self.root.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        removed = []
        for entry in self.root.iterdir():
            # Only temp and trash names start with a dot; stored names never do.
            leftover = entry.name.startswith(".") or not keep(entry.name)
            if leftover and entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed.append(entry.name)
        return sorted(removed)

    def _sync_directory(self) -> None:
        # The rename itself lives in the directory entry; fsync the directory to persist it.
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def storage_from_config(config: dict[str, Any]) -> Storage:
    """The storage backend the config asks for (only the local one ships here)."""
    return LocalFileStorage(config["UPLOAD_FOLDER"])
