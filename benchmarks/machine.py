"""Where and how a run happened, for the report header."""
from __future__ import annotations

import datetime
import os
import platform
import sys

from benchmarks import frameworks as fw


def cpu() -> str:
    """CPU model and core count from /proc/cpuinfo (platform's guess elsewhere)."""
    model, count = None, 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model is None:
                    model = line.split(":", 1)[1].strip()
                if line.startswith("processor"):
                    count += 1
    except OSError:
        pass
    return f"{model or platform.processor() or 'unknown CPU'}, {count or os.cpu_count()} cores"


def os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return f"{line.split('=', 1)[1].strip().strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    return platform.platform()


def load() -> str:
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "n/a"


def describe(argv: list[str]) -> dict:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu(),
        "os": os_name(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "versions": fw.versions(),
        "threads": fw.settings["threads"],
        "command": " ".join(["python -m benchmarks", *argv]).strip(),
        "load_start": load(),
    }
