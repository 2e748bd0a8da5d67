"""Shared fixtures: the real pipeline (loaded once per session) and paths into ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "000_4f689e591308a576.txt"
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def analyzer():
    from caacwatch.extract.analyzer import Analyzer

    return Analyzer()


@pytest.fixture(scope="session")
def seed_analysis(analyzer):
    if not SEED.is_file():
        pytest.skip("../shared/seed is not beside the repository")
    from caacwatch.ingest import load_input

    return analyzer.analyze(load_input(str(SEED)))
