"""Shared set-up of the TensorFlow reference suite.

Every test here compares savedmodel with real TensorFlow (the pinned version in
.venv-reference, made by scripts/setup-reference). TensorFlow is imported once
per pytest process; generated material is cached under build/reference/.
Each section reports one summary line: cases, passed, pending, failed.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import refutil  # noqa: E402


_lock = None


def pytest_sessionstart(session):
    # One reference run at a time per build folder: runs share the cache of
    # generated cases under build/reference/.
    import fcntl
    global _lock
    os.makedirs(refutil.CACHE, exist_ok=True)
    _lock = open(os.path.join(refutil.CACHE, ".lock"), "w")
    fcntl.flock(_lock, fcntl.LOCK_EX)


def pytest_sessionfinish(session, exitstatus):
    refutil.write_doc()


def pytest_terminal_summary(terminalreporter):
    for line in refutil.summary_lines():
        terminalreporter.write_line(line)
