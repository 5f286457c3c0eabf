"""The workspace layout, an exclusive lock, and atomic replacement of outputs.

DIR/config/scorecard.toml   DIR/inputs/YYYY-MM/   DIR/out/YYYY-MM/   DIR/scorecard.db
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.periods import Period


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path
    config: Path
    inputs: Path
    out: Path
    db: Path

    @classmethod
    def at(
        cls,
        root: Path,
        config: Path | None = None,
        inputs: Path | None = None,
        out: Path | None = None,
        db: Path | None = None,
    ) -> Workspace:
        return cls(
            root=root,
            config=config or root / "config" / "scorecard.toml",
            inputs=inputs or root / "inputs",
            out=out or root / "out",
            db=db or root / "scorecard.db",
        )

    def inputs_for(self, period: Period) -> Path:
        return self.inputs / str(period)

    def out_for(self, period: Period) -> Path:
        return self.out / str(period)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive for the whole command: a second command on the workspace stops at once.

        Only ``init`` makes a workspace: a mistyped ``--workspace`` must not become a new, empty one.
        """
        if not self.root.is_dir():
            raise InputError(
                [Issue(str(self.root), None, None, t("no_workspace"), t("no_workspace_expected"))],
                "no workspace",
            )
        path = self.root / ".scorecard.lock"
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(
                    [
                        Issue(
                            str(path),
                            None,
                            None,
                            t("workspace_locked"),
                        )
                    ],
                    "workspace is locked",
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Write into a temporary folder beside ``target``; swap it in only on success.

    The swap is two renames (old aside, new in); :func:`recover` undoes a swap
    that was cut between them, so a killed run leaves the old folder or the new
    one, never a mix.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for f in tmp.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)  # mkdtemp made it 0700: other users could not read the outputs
    if target.exists() and _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # it now holds the old outputs
    else:  # no atomic exchange here: two renames, which recover() completes after a crash
        old = target.parent / f".{target.name}.old"
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
_LIBC_NAME = ctypes.util.find_library("c")
_libc = ctypes.CDLL(_LIBC_NAME, use_errno=True) if _LIBC_NAME else None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def recover(target: Path) -> None:
    """Put back an output folder whose swap was interrupted; drop stale temporary folders."""
    old = target.parent / f".{target.name}.old"
    if old.exists():
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, target)
    for stale in target.parent.glob(f".{target.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
