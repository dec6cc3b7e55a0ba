"""Deciding whether an upload may be kept: its name, its signature, its pixel count (Q101).

Nothing the client says about a file is trusted. The extension is judged on the name after
`secure_filename`, final extension only (``x.php.png`` is a ``.png`` and must then *be*
one); the type is decided by the file's own first bytes (its magic signature), never by
the request's ``Content-Type``; and an image's declared width x height is checked before a
single pixel is decoded, because a few kilobytes of PNG can declare gigabytes of pixels.

Status codes: 400 for a name that is malformed (missing, NUL or control characters, a
path), 422 for a well-formed name or image the policy refuses (extension, length, pixels),
415 for content that is not what its extension says.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from werkzeug.utils import secure_filename

MAX_NAME_LENGTH = 200
HEAD_SIZE = 16


class UploadRefused(Exception):
    """A refusal with the HTTP status and the message the client gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class FileKind:
    """One accepted type: its MIME type, how to recognise it, and how to serve it."""

    mimetype: str
    label: str
    pillow_format: str | None = None

    @property
    def is_image(self) -> bool:
        """Raster images Pillow can measure (and browsers display without running code)."""
        return self.pillow_format is not None


PNG = FileKind("image/png", "PNG image", "PNG")
JPEG = FileKind("image/jpeg", "JPEG image", "JPEG")
GIF = FileKind("image/gif", "GIF image", "GIF")
WEBP = FileKind("image/webp", "WebP image", "WEBP")
PDF = FileKind("application/pdf", "PDF document")
TEXT = FileKind("text/plain", "UTF-8 text file")  # Werkzeug adds the charset

# The allow-list. SVG is deliberately absent: it is XML that can carry scripts.
KINDS: dict[str, FileKind] = {
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".gif": GIF,
    ".webp": WEBP,
    ".pdf": PDF,
    ".txt": TEXT,
}
IMAGE_EXTENSIONS = frozenset(ext for ext, kind in KINDS.items() if kind.is_image)
ALL_EXTENSIONS = frozenset(KINDS)


@dataclass(frozen=True)
class CheckedName:
    """A name that passed: the display name to keep and the extension to store under."""

    display_name: str
    extension: str
    kind: FileKind


def check_filename(raw: str | None, allowed: frozenset[str] = ALL_EXTENSIONS) -> CheckedName:
    """Refuse malformed or disallowed names; return the extension the file is judged by."""
    if raw is None or not raw.strip():
        raise UploadRefused(400, "name is empty: choose a file to upload")
    if "\x00" in raw:
        raise UploadRefused(400, "name contains a NUL byte")
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise UploadRefused(400, "name contains control characters")
    if "/" in raw or "\\" in raw or raw.strip() in {".", ".."}:
        raise UploadRefused(400, "name must be a bare file name, not a path")
    if len(raw) > MAX_NAME_LENGTH:
        raise UploadRefused(422, f"name is longer than {MAX_NAME_LENGTH} characters")

    secured = secure_filename(raw)
    if "." not in secured:
        # An all non-ASCII stem ("отчёт.pdf" -> "pdf") loses its dot along with the letters;
        # judge the raw suffix through the same filter instead of refusing every such name.
        secured = secure_filename("file" + PurePosixPath(raw.strip()).suffix)
    extension = PurePosixPath(secured).suffix.lower()
    if not extension:
        raise UploadRefused(422, "name has no extension")
    if extension not in allowed:
        raise UploadRefused(
            422, f"extension {extension} is not allowed (allowed: {', '.join(sorted(allowed))})"
        )
    display_name = unicodedata.normalize("NFC", raw.strip())
    return CheckedName(display_name=display_name, extension=extension, kind=KINDS[extension])


def _signature_matches(kind: FileKind, head: bytes) -> bool:
    if kind is PNG:
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind is JPEG:
        return head.startswith(b"\xff\xd8\xff")
    if kind is GIF:
        return head[:6] in (b"GIF87a", b"GIF89a")
    if kind is WEBP:
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if kind is PDF:
        return head.startswith(b"%PDF-")
    return True  # text has no signature; `_check_text` reads the whole file instead


def check_content(file: BinaryIO, kind: FileKind, max_pixels: int) -> None:
    """Refuse bytes that are not the kind their extension claims, or images that are too big."""
    head = file.read(HEAD_SIZE)
    if not head:
        raise UploadRefused(422, "file is empty")
    if not _signature_matches(kind, head):
        raise UploadRefused(415, f"content is not a {kind.label}")
    file.seek(0)
    if kind is TEXT:
        _check_text(file)
    elif kind.is_image:
        check_image_size(file, kind, max_pixels)


def _check_text(file: BinaryIO) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(64 * 1024):
            if b"\x00" in chunk:
                raise UploadRefused(415, f"content is not a {TEXT.label}")
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise UploadRefused(415, f"content is not a {TEXT.label}") from None


def check_image_size(file: BinaryIO, kind: FileKind, max_pixels: int) -> tuple[int, int]:
    """Read the declared size from the image header (no decoding) and enforce the limit.

    `Image.open` is lazy: it parses headers only, and nothing here calls `load()`.
    Pillow runs its own decompression-bomb check inside `open`, above
    `Image.MAX_IMAGE_PIXELS`: it raises `DecompressionBombError` at twice that and
    *warns* (`DecompressionBombWarning`) above it. The warning is an exception wherever
    warnings are errors (pytest here, ``-W error`` elsewhere), so it is caught too; where
    it is only a warning, the limit below is capped at Pillow's, so the same image is
    refused by our own check right after. (No `warnings.catch_warnings`: it swaps
    process-wide state and is not safe under a threaded server.)
    """
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        with Image.open(file, formats=[kind.pillow_format]) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(
            422, f"image declares more pixels than the limit of {limit:,}"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused(415, f"content is not a valid {kind.label}") from None
    if width * height > limit:
        raise UploadRefused(
            422,
            f"image is {width}x{height} ({width * height:,} pixels); the limit is {limit:,}",
        )
    return width, height


def ascii_fallback(name: str) -> str:
    """An ASCII-only version of a display name for the plain ``filename=`` parameter."""
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isalnum() or c in "._-() " else "_" for c in decomposed).strip()
    stem, _, _ = cleaned.rpartition(".")
    if not stem.strip("._- "):
        return "download" + PurePosixPath(name).suffix
    return cleaned
