"""The Spark session of the rollup: Spark Connect when SPARK_REMOTE is set (Spark's own variable), a
cluster given its master URL, else a local session on this machine (local[2]). Weeks are counted in
Python, so the session works in UTC; ANSI mode is off so a value that does not parse is NULL (and
quarantined with its reason) as in ingest. Nothing is downloaded at run time: no spark.jars.packages.
"""

from __future__ import annotations

import os
import sys
import warnings

from postlaunch.errors import PostlaunchError

LOCAL_MASTER = "local[2]"
# Session settings the rollup relies on (runtime settings: they apply to a cluster and Spark Connect too).
RUNTIME = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


class SparkMissing(PostlaunchError):
    """pyspark or Java is not installed."""


def spark_session(master: str | None = None, app: str = "postlaunch rollup"):  # type: ignore[no-untyped-def]
    """The session to run on (see the module docstring); `master` overrides the local default."""
    warnings.filterwarnings(
        "ignore", message=".*pandas >= 3.0.0.*"
    )  # the pandas UDFs are tested with pandas 3
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkMissing(
            "the Spark rollup needs pyspark: pip install 'postlaunch[spark]' (and a Java 17 runtime, "
            "e.g. apt-get install openjdk-17-jre-headless)"
        ) from exc
    remote = os.environ.get("SPARK_REMOTE")
    builder = SparkSession.builder.appName(app)
    if remote and master is None:
        builder = builder.remote(remote)
    else:
        if not _java():
            raise SparkMissing(
                "the Spark rollup needs a Java runtime (17 or newer) on PATH or in JAVA_HOME: "
                "apt-get install openjdk-17-jre-headless"
            )
        builder = builder.master(master or LOCAL_MASTER)
        if (master or LOCAL_MASTER).startswith("local"):
            # the pandas UDFs run postlaunch's own code: the local workers use this very interpreter
            os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
            builder = (
                builder.config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.pyspark.python", sys.executable)
                .config("spark.pyspark.driver.python", sys.executable)
                .config("spark.driver.memory", "2g")
            )
    for key, value in RUNTIME.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in RUNTIME.items():  # an existing session (a notebook's) gets them too
        spark.conf.set(key, value)
    if not remote or master is not None:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return any(
        os.access(os.path.join(p, "java"), os.X_OK) for p in os.environ.get("PATH", "").split(os.pathsep) if p
    )
