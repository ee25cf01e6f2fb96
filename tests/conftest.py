"""Shared fixtures: the small published-format files, the real reference data where present."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csdemand.core import paths

FIXTURES = Path(__file__).parent / "fixtures"
PUBLISHED = FIXTURES / "published"
REFERENCE = paths.reference_data_dir()
TEST_OUTPUT = paths.ROOT / "test-output"

needs_reference = pytest.mark.skipif(
    not (REFERENCE / "README.md").exists(),
    reason=f"the published reference data is not at {REFERENCE} (it sits in ../shared beside the checkout)",
)


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A scratch copy of the published-format fixture files (tests may break them)."""
    dest = tmp_path / "published"
    shutil.copytree(PUBLISHED, dest)
    return dest


@pytest.fixture(scope="session")
def test_output() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots, reports)."""
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
