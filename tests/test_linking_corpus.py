"""Accuracy gate for same-incident linking on the corpus's known clusters (skipped without the corpus).

The gold clusters are benchmarks/linking_clusters.json; the hard negatives are every cnn-latest-2024
article published on the days of the Majdal Shams and Deir al-Balah strikes and after (other Gaza,
Lebanon and Israel stories of the same days). Minimums: the issue's aims, precision 0.9, recall 0.8
(measured: see BENCHMARKS.md, "Same-incident linking").
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import CORPUS, REPO

MIN_PRECISION = 0.9
MIN_RECALL = 0.8


def _benchmark():
    spec = importlib.util.spec_from_file_location("linking_benchmark", REPO / "benchmarks" / "linking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_linking_on_known_clusters(tmp_path):
    if not (CORPUS / "articles.jsonl").is_file():
        pytest.skip("../shared/corpus is not beside the repository")
    bench = _benchmark()
    clusters = json.loads((REPO / "benchmarks" / "linking_clusters.json").read_text())["clusters"]
    gold_ids = {d for docs in clusters.values() for d in docs}
    lines = [
        line for line in bench.selected_articles(gold_ids)
        if json.loads(line)["id"] in gold_ids or (json.loads(line).get("published") or "") >= "2024-07-26"
    ]
    db = str(tmp_path / "linking.sqlite3")
    bench.ingest(db, lines)
    pairs, _ = bench.predicted_pairs(db)
    result = bench.score(pairs, clusters)
    assert result["precision"] >= MIN_PRECISION, result["false_pairs"]
    assert result["recall"] >= MIN_RECALL, result["missed_pairs"]
    assert result["per_cluster_recall"]["majdal_shams_strike_2024_07_27"] == 1.0
    assert result["per_cluster_recall"]["deir_al_balah_school_strike_2024_07_27"] == 1.0
