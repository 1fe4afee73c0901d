"""Fixtures for the integration tests."""

from pathlib import Path

import pytest

from tests.clirun import cli_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for a `miru` subprocess: OCR engine, offline, data in tmp_path."""
    return cli_env(tmp_path)
