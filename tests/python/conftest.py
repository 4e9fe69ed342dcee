"""Shared fixtures of the Python suite: where the repository, the real
TensorFlow models (../shared/testdata) and TensorFlow itself (the reference
venv, only ever run in a subprocess) are."""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "testdata"))
REFERENCE_PYTHON = os.path.join(ROOT, ".venv-reference", "bin", "python")


def shared_path(*parts):
    """A path under ../shared/testdata; skips the test when it is absent."""
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip("%s is absent (../shared/testdata holds the real TensorFlow models)" % path)
    return path


@pytest.fixture(scope="session")
def testdata():
    return shared_path()


@pytest.fixture(scope="session")
def tf_serving():
    return shared_path("tf_serving")


@pytest.fixture(scope="session")
def corpus():
    return shared_path("corpus")


@pytest.fixture(scope="session")
def half_plus_two():
    return shared_path("tf_serving", "saved_model_half_plus_two_cpu", "00000123")


@pytest.fixture(scope="session")
def reference_python():
    """The TensorFlow venv's interpreter (scripts/setup-reference); skips when
    it is missing or TensorFlow does not import there."""
    if not os.path.exists(REFERENCE_PYTHON):
        pytest.skip("no TensorFlow reference venv at %s (scripts/setup-reference makes it)" % REFERENCE_PYTHON)
    probe = subprocess.run([REFERENCE_PYTHON, "-c", "import tensorflow"], capture_output=True, timeout=300)
    if probe.returncode != 0:
        pytest.skip("TensorFlow does not import in %s" % REFERENCE_PYTHON)
    return REFERENCE_PYTHON
