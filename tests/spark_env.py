"""What the Spark tests share: they need pyspark (the extra postlaunch[spark]) and a Java runtime; without
them they skip on a developer machine and fail under CI (CI=true), since .ci/run installs both and a
skipped Spark test there would hide a broken install. The `spark` fixture (conftest.py) gives one
local[2] session per test module.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_spark() -> None:
    """Skip (or under CI fail) when pyspark or Java is missing."""
    missing = []
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("pyspark (pip install -e '.[spark]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        missing.append("a Java runtime (apt-get install openjdk-17-jre-headless)")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run installs them")
        pytest.skip(message)
