"""Files that arrive through the dashboard (DESIGN §17): refused over `max_upload_mb`, stripped of any
path their name carries, and written only inside the data folder (the database's folder) while they
load, then deleted. Ingest reads them from there like any file; this module never parses them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from postlaunch.errors import UsageError
from postlaunch.settings import Settings

STAGING = ".postlaunch-uploads"
_MAX_NAME = 180
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_name(name: str) -> str:
    """The file name alone: whatever path came with it (`../../etc/x.csv`, `C:\\\\x\\\\y.csv`) dropped,
    control characters and leading dots removed. Refuses a name with nothing left."""
    text = unicodedata.normalize("NFC", name or "")
    text = _DRIVE.sub("", text.replace("\\", "/")).rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if not text:
        raise UsageError(f"the uploaded file name {name!r} has no file name left once its path is removed")
    if len(text) > _MAX_NAME:  # keep the extensions (.csv.gz) that tell ingest the format
        stem, dot, ext = text.partition(".")
        text = stem[: _MAX_NAME - len(ext) - 1] + dot + ext
    return text


def check_size(name: str, size: int, settings: Settings) -> None:
    """Refuse a file over `max_upload_mb`, naming it, its size and the limit."""
    limit = settings.max_upload_mb * 1024 * 1024
    if size > limit:
        raise UsageError(
            f"{name} is {size / 1024 / 1024:,.1f} MB; the dashboard takes files up to "
            f"{settings.max_upload_mb:g} MB (setting max_upload_mb). Nothing was loaded; load a bigger file "
            "with `postlaunch ingest KIND FILE`."
        )


def data_folder(settings: Settings) -> Path:
    """The folder uploads may be written into: the database's own."""
    return Path(settings.db).resolve().parent


@contextmanager
def staged(settings: Settings, name: str, content: bytes) -> Iterator[Path]:
    """Write `content` as `safe_name(name)` into a fresh folder under the data folder's
    `.postlaunch-uploads/`, yield its path, and delete it afterwards. Refuses an oversized file and any
    path that would resolve outside the data folder."""
    check_size(name, len(content), settings)
    clean = safe_name(name)
    root = data_folder(settings) / STAGING
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    try:
        target = (folder / clean).resolve()
        if not target.is_relative_to(folder.resolve()) or not target.is_relative_to(data_folder(settings)):
            raise UsageError(f"the uploaded file name {name!r} would be written outside the data folder")
        with target.open("xb") as out:
            out.write(content)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
