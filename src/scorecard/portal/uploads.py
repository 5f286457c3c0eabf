"""Rectification report attachments: one PDF or image, checked by content, stored under a generated name.

The name and type a browser sends are not trusted: the file's first bytes
decide its type, and anything that is not a PDF, PNG, JPEG or WebP is
refused. Files live in the workspace's ``portal-uploads/`` folder, which the
portal never serves as a folder; a file is sent back only to those allowed to
see its report, always as an attachment with its checked type.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from scorecard.i18n import t

MAX_BYTES = 5 * 1024 * 1024
FOLDER = "portal-uploads"
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


class UploadError(ValueError):
    pass


def sniff(data: bytes) -> tuple[str, str] | None:
    """The content type and extension of a PDF or image, from its bytes alone."""
    for magic, ctype, ext in _SIGNATURES:
        if data.startswith(magic):
            return ctype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def store(root: Path, data: bytes, original: str) -> tuple[str, str, int, str, str]:
    """Check and store an upload; returns stored name, type, size, sha256 and the given name."""
    if len(data) > MAX_BYTES:
        raise UploadError(t("upload_too_large"))
    if not data:
        raise UploadError(t("upload_empty"))
    kind = sniff(data)
    if kind is None:
        raise UploadError(t("upload_kind"))
    ctype, ext = kind
    folder = root / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    name = secrets.token_hex(16) + ext
    tmp = folder / f".{name}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(folder / name)
    return name, ctype, len(data), hashlib.sha256(data).hexdigest(), Path(original or "").name[:200]


def path_of(root: Path, stored: str) -> Path:
    """The stored file (only names this module generated: no separator, no dot-dot)."""
    if not stored or "/" in stored or "\\" in stored or stored.startswith("."):
        raise UploadError(t("upload_bad_name"))
    return root / FOLDER / stored
