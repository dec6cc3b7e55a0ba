"""The storage backend on its own: atomic writes, refused names, cleanup on failure (Q100)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from demo.uploads import storage as storage_module
from demo.uploads.storage import LocalFileStorage, SizeLimitExceeded
from tests.uploads.conftest import files_in

pytestmark = pytest.mark.answers("Q100")


class BrokenStream(io.BytesIO):
    """Delivers one chunk, then fails like a dropped connection."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() == 0:
            return super().read(size)
        raise ConnectionResetError("peer went away")


def test_write_goes_temp_file_fsync_rename_in_the_same_directory(tmp_path, monkeypatch):
    """The temp file sits next to the final name, is fsynced, then os.replace'd into place."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        storage_module.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd)
    )

    def replace(src, dst):
        events.append(("replace", os.path.dirname(src), os.path.dirname(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(storage_module.os, "replace", replace)
    storage = LocalFileStorage(tmp_path)
    stored = storage.save_stream(io.BytesIO(b"data"), ".txt")

    assert events[0] == "fsync"  # the bytes, before the rename
    assert events[1] == ("replace", str(tmp_path), str(tmp_path))
    assert events[2] == "fsync"  # the directory entry, after it
    assert stored.size == 4 and stored.sha256 == hashlib.sha256(b"data").hexdigest()
    assert files_in(tmp_path) == [stored.name]


def test_generated_names_are_random_and_keep_only_the_suffix(tmp_path):
    """Two saves of the same bytes get different 32-hex-digit names with the given suffix."""
    storage = LocalFileStorage(tmp_path)
    first = storage.save_stream(io.BytesIO(b"x"), ".png").name
    second = storage.save_stream(io.BytesIO(b"x"), ".png").name
    assert first != second
    for name in (first, second):
        stem, suffix = name.split(".")
        assert suffix == "png" and len(stem) == 32 and int(stem, 16) >= 0


def test_broken_stream_leaves_no_temp_file(tmp_path):
    """A read error mid-copy propagates and the partial temp file is removed."""
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(ConnectionResetError):
        storage.save_stream(BrokenStream(b"a" * (3 * storage_module.CHUNK_SIZE)), ".txt")
    assert files_in(tmp_path) == []


def test_size_limit_is_enforced_while_copying(tmp_path):
    """One byte over the limit raises SizeLimitExceeded and keeps nothing."""
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(SizeLimitExceeded):
        storage.save_stream(io.BytesIO(b"a" * 11), ".txt", max_bytes=10)
    assert files_in(tmp_path) == []
    assert storage.save_stream(io.BytesIO(b"a" * 10), ".txt", max_bytes=10).size == 10


def test_verifier_sees_the_complete_file_before_it_is_published(tmp_path):
    """`verify` reads every byte from the temp file; raising there keeps nothing."""
    storage = LocalFileStorage(tmp_path)
    seen = []

    def refuse(written):
        seen.append((written.read(), files_in(tmp_path)))
        raise ValueError("refused")

    with pytest.raises(ValueError):
        storage.save_stream(io.BytesIO(b"payload"), ".txt", verify=refuse)
    [(content, present)] = seen
    assert content == b"payload"
    assert len(present) == 1 and present[0].startswith(".upload-")  # only the temp file
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/passwd", "a/b.txt", ""])
def test_names_that_leave_the_folder_are_refused(tmp_path, name):
    """open/delete/exists never touch a path outside the storage folder."""
    storage = LocalFileStorage(tmp_path / "uploads")
    for operation in (storage.open, storage.delete, storage.exists):
        with pytest.raises(ValueError):
            operation(name)


def test_trash_and_restore_round_trip(tmp_path):
    """A trashed file is hidden under a dot name and comes back byte for byte."""
    storage = LocalFileStorage(tmp_path)
    name = storage.save_stream(io.BytesIO(b"keep me"), ".txt").name
    trash = storage.move_to_trash(name)
    assert not storage.exists(name) and trash.startswith(".trash-")
    storage.restore(trash, name)
    with storage.open(name) as restored:
        assert restored.read() == b"keep me"
    assert files_in(tmp_path) == [name]
