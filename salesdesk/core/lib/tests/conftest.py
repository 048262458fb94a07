"""The helpers in salesdesk/core/lib are framework-free, and so are their tests: they run with
``-p no:django``. The suite-wide autouse fixtures in the root conftest.py touch Django settings
and the huey queue, so they are replaced here by no-ops of the same name (pytest lets a closer
conftest override a fixture). The root hypothesis profiles still apply."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_and_hermetic() -> None:
    """Nothing to make hermetic: no settings, no mail, no files."""


@pytest.fixture(autouse=True)
def _huey_immediate() -> None:
    """No jobs are queued by pure functions."""
