"""`caacwatch batch` and `caacwatch load`: inline and Ray give the same Parquet rows (one per input, in
input order, bad inputs as rows with their codes), a worker killed mid-run loses and duplicates
nothing, and loading a batch file gives the store that `caacwatch ingest` of the same input gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from caacwatch.distributed.batch import BatchSummary, OrderedWriter, read_rows, run_batch
from caacwatch.distributed.errors import BatchError
from tests.conftest import BACKENDS, CORPUS, fresh_database_url

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FIXTURES = Path(__file__).parent / "fixtures" / "monitor"
REPORTS = FIXTURES / "reports.jsonl"
ARTICLES = CORPUS / "articles.jsonl"
DEV_LABELS = CORPUS / "dev-labels.jsonl"
# Columns that differ between two runs by design: when each input was read.
RUN_TIME_COLUMNS = ("original_retrieved_at",)


def comparable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in RUN_TIME_COLUMNS} for row in rows]


@pytest.fixture(scope="module")
def inline_fixture(tmp_path_factory, analyzer) -> Path:
    out = tmp_path_factory.mktemp("batch") / "inline.parquet"
    run_batch(out=out, jsonl=[str(REPORTS)], batch_size=2, analyzer=analyzer)
    return out


@pytest.fixture(scope="module")
def corpus_sample(tmp_path_factory) -> Path:
    """The 36 labelled dev articles (26 relevant) and the first 4 lines of the corpus: 40 articles."""
    if not (ARTICLES.is_file() and DEV_LABELS.is_file()):
        pytest.skip("../shared/corpus is not beside the repository")
    wanted = {json.loads(line)["id"] for line in DEV_LABELS.read_text(encoding="utf-8").splitlines() if line.strip()}
    lines = []
    with ARTICLES.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number < 4 or json.loads(line)["id"] in wanted:
                lines.append(line)
    path = tmp_path_factory.mktemp("corpus") / "sample.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def inline_corpus(tmp_path_factory, analyzer, corpus_sample) -> Path:
    out = tmp_path_factory.mktemp("batch") / "corpus-inline.parquet"
    run_batch(out=out, jsonl=[str(corpus_sample)], batch_size=8, analyzer=analyzer)
    return out


# --- the file ----------------------------------------------------------------------------------
def test_one_row_per_input_in_order_with_the_schema(inline_fixture):
    from caacwatch.distributed.schema import METADATA_KEY, OUTPUT_SCHEMA, SCHEMA_VERSION

    table = pq.read_table(inline_fixture)
    assert table.schema.equals(OUTPUT_SCHEMA, check_metadata=False)
    assert table.schema.metadata[METADATA_KEY] == SCHEMA_VERSION.encode()
    rows = table.to_pylist()
    lines = [line for line in REPORTS.read_bytes().splitlines() if line.strip()]
    assert [r["index"] for r in rows] == list(range(len(lines))) == list(range(9))
    assert {r["schema_version"] for r in rows} == {SCHEMA_VERSION}
    assert [r["original"] for r in rows] == lines  # every input's bytes, exactly
    assert [r["origin"] for r in rows] == [f"{REPORTS}:{n}" for n in range(1, 10)]
    assert [r["id"] for r in rows][:3] == ["wire-kauru-1", "blog-kauru-copy", "daily-kauru-parents"]


def test_bad_lines_are_rows_with_their_codes(inline_fixture):
    rows = read_rows(inline_fixture)
    bad = [r for r in rows if r["status"] != "analysed"]
    assert [(r["id"], r["status"], r["code"]) for r in bad] == [
        ("broken-line", "rejected", "E102"), ("reports.jsonl:9", "rejected", "E101")
    ]
    assert all(r["error"].startswith(f"[{r['code']}]") and r["analysis"] is None for r in bad)
    assert all(r["relevant"] is None and r["violations"] is None for r in bad)


def test_analysis_is_what_ingest_analyses(inline_fixture, analyzer):
    """The `analysis` column is the analysis `caacwatch ingest` computes for the same input."""
    from caacwatch.ingest.items import InputItem
    from caacwatch.ingest.sources import iter_sources

    items = [i for i in iter_sources(jsonl=[str(REPORTS)]) if isinstance(i, InputItem)]
    expected = [a.to_json_dict() for a in analyzer.analyze_records([i.document for i in items])]
    got = [json.loads(r["analysis"]) for r in read_rows(inline_fixture) if r["status"] == "analysed"]
    assert got == expected


def test_flattened_columns_match_the_analysis(inline_fixture):
    from caacwatch.ingest.text import text_key

    for row in read_rows(inline_fixture):
        if row["status"] != "analysed":
            continue
        analysis = json.loads(row["analysis"])
        allegations = analysis["allegations"]
        assert row["relevant"] is analysis["relevant"]
        assert row["n_allegations"] == len(allegations) == len(row["allegations"])
        assert row["violations"] == sorted({a["violation"] for a in allegations})
        countries = {loc["country"] for a in allegations for loc in a["locations"] if loc.get("country")}
        assert row["countries"] == sorted(countries)
        assert row["flags"] == analysis["flags"]
        assert row["source_count"] == len(row["sources"])
        assert row["text_sha256"] == text_key(analysis["document"]["text"])
        assert row["title"] == analysis["document"]["title"] and row["url"] == analysis["document"]["url"]
        if allegations:
            assert row["max_confidence"] == max(a["confidence"] for a in allegations)
            assert [a["violation"] for a in row["allegations"]] == [a["violation"] for a in allegations]
    kharkiv = next(r for r in read_rows(inline_fixture) if r["id"] == "wire-kharkiv-school")
    assert kharkiv["countries"] == ["UA"] and "Russia" in kharkiv["perpetrators"]
    assert "attacks_schools_hospitals" in kharkiv["violations"] and kharkiv["sources"]


def test_parquet_input_reads_rows_like_json_lines(tmp_path, analyzer, inline_fixture):
    good = [json.loads(line) for line in REPORTS.read_text(encoding="utf-8").splitlines()[:7]]
    columns = ["id", "text", "title", "published", "url", "source"]
    table = pa.Table.from_pylist([{c: obj.get(c) for c in columns} for obj in good])
    source = tmp_path / "in" / "reports.parquet"
    source.parent.mkdir()
    pq.write_table(table, source)
    out = tmp_path / "out.parquet"
    summary = run_batch(out=out, parquet=[str(source.parent)], batch_size=3, analyzer=analyzer)
    assert summary.rows == 7 and summary.statuses["analysed"] == 7
    rows, expected = read_rows(out), read_rows(inline_fixture)[:7]
    same = ("id", "status", "relevant", "violations", "countries", "perpetrators", "sources", "flags", "text_sha256")
    assert [{k: r[k] for k in same} for r in rows] == [{k: r[k] for k in same} for r in expected]
    assert json.loads(rows[0]["original"]) == {c: good[0].get(c) for c in columns}  # the row, as JSON
    assert rows[0]["origin"] == f"{source}:1"


def test_warc_input(tmp_path, analyzer):
    from caacwatch.ingest.items import InputItem
    from caacwatch.ingest.warc import iter_warc
    from tests.test_ingest_warc import build_warc

    archive = tmp_path / "crawl.warc.gz"
    archive.write_bytes(build_warc(gz=True, with_extras=True))
    out = tmp_path / "out.parquet"
    run_batch(out=out, warc=[str(archive)], analyzer=analyzer)
    rows = read_rows(out)
    items = list(iter_warc(archive))
    assert [r["id"] for r in rows] == [i.external_id for i in items]
    documents = [i.document for i in items if isinstance(i, InputItem)]
    expected = [a.to_json_dict() for a in analyzer.analyze_records(documents)]
    assert [json.loads(r["analysis"]) for r in rows if r["analysis"]] == expected
    assert rows[0]["original_content_type"].startswith("text/html") and rows[0]["original_url"]


def test_missing_input_is_refused_before_any_work(tmp_path):
    from caacwatch.errors import CaacError

    with pytest.raises(CaacError, match=r"\[E001\]"):
        run_batch(out=tmp_path / "out.parquet", jsonl=[str(tmp_path / "nope.jsonl")])
    assert not list(tmp_path.iterdir())


# --- the ordered writer ------------------------------------------------------------------------
def _rows(*indexes: int) -> pa.Table:
    from caacwatch.distributed.batch import rows_to_table
    from caacwatch.distributed.schema import SCHEMA_VERSION

    return rows_to_table(
        [{"schema_version": SCHEMA_VERSION, "index": i, "id": f"d{i}", "status": "rejected", "code": "E101"}
         for i in indexes]
    )


def test_writer_orders_rows_and_drops_duplicates(tmp_path):
    out = tmp_path / "w.parquet"
    summary = BatchSummary()
    writer = OrderedWriter(out, summary, row_group_rows=2)
    assert writer.add(_rows(2, 3)) == 0  # waits for 0 and 1
    assert writer.add(_rows(0, 1)) == 4
    assert writer.add(_rows(2, 3)) == 0  # a retried chunk delivered twice
    assert writer.add(_rows(5, 4)) == 2
    writer.close(expected=6)
    assert [r["id"] for r in read_rows(out)] == [f"d{i}" for i in range(6)]
    assert summary.rows == 6 and summary.duplicates_dropped == 2 and summary.codes == {"E101": 6}


def test_writer_refuses_to_finish_with_rows_missing(tmp_path):
    out = tmp_path / "w.parquet"
    writer = OrderedWriter(out, BatchSummary())
    writer.add(_rows(0, 1))
    writer.add(_rows(3))
    with pytest.raises(BatchError, match=r"\[E407\]"):
        writer.close(expected=4)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_chunks_are_cut_by_count_and_by_size():
    from caacwatch.distributed.batch import chunked

    units = [{"index": i, "data": b"x" * size} for i, size in enumerate([10, 10, 500, 10, 10, 10, 10])]
    sizes = [[u["index"] for u in chunk] for chunk in chunked(units, 3, max_bytes=400)]
    assert sizes == [[0, 1, 2], [3, 4, 5], [6]]
    sizes = [[u["index"] for u in chunk] for chunk in chunked(units, 10, max_bytes=400)]
    assert sizes == [[0, 1, 2], [3, 4, 5, 6]]


# --- Ray ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_workers():
    """One local Ray runtime (2 CPUs) for the module; the runs below use it as it is."""
    pytest.importorskip("ray.data")
    from caacwatch.distributed.ray_engine import ray_runtime

    with ray_runtime(None, 2) as workers:
        yield workers


def test_ray_equals_inline_on_corpus_articles(tmp_path, ray_workers, corpus_sample, inline_corpus):
    out = tmp_path / "ray.parquet"
    summary = run_batch(out=out, jsonl=[str(corpus_sample)], engine="ray", workers=2, batch_size=8)
    rows = read_rows(out)
    assert summary.rows == len(rows) == 40 and summary.relevant >= 20
    assert comparable(rows) == comparable(read_rows(inline_corpus))


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(tmp_path, ray_workers, inline_fixture):
    """Also: Ray equals inline on the fixture (its bad lines included)."""
    marker = tmp_path / "crashed"
    out = tmp_path / "ray.parquet"
    summary = run_batch(
        out=out, jsonl=[str(REPORTS)], engine="ray", workers=2, batch_size=2, _crash_marker=str(marker)
    )
    assert marker.exists(), "no worker was killed"  # a worker process exited after analysing a chunk
    rows = read_rows(out)
    assert [r["index"] for r in rows] == list(range(9)) and summary.rows == 9 and summary.workers == 2
    assert comparable(rows) == comparable(read_rows(inline_fixture))


@pytest.mark.slow
def test_ray_on_a_cluster_started_with_ray_start(tmp_path, inline_fixture):
    """`ray start --head`, then a run in another process pointed at it with its address."""
    pytest.importorskip("ray.data")
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray_cli = Path(sys.executable).with_name("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
    head = subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    out = tmp_path / "cluster.parquet"
    code = (
        "from caacwatch.distributed.batch import run_batch; import json, sys; "
        f"s = run_batch(out={str(out)!r}, jsonl=[{str(REPORTS)!r}], engine='ray', workers=2, batch_size=2, "
        f"address='127.0.0.1:{port}'); print(json.dumps(s.to_json()))"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    finally:
        head.terminate()  # `ray start --block` stops the cluster it started
        head.wait(timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1])["workers"] == 2
    assert comparable(read_rows(out)) == comparable(read_rows(inline_fixture))


# --- load --------------------------------------------------------------------------------------
def _store_state(url: str) -> dict:
    from caacwatch.store import models, open_store
    from caacwatch.store.queries import IncidentFilter, iter_incidents, rejection_reasons, stats

    store = open_store(url)
    try:
        with store.activate():
            return {
                "stats": stats(),
                "rejections": rejection_reasons(),
                "incidents": json.loads(json.dumps(list(iter_incidents(IncidentFilter())), default=str)),
                "analyses": {d.text_sha256: d.analysis for d in models.Document.objects.all()},
                "reports": sorted(models.Report.objects.values_list("external_id", "document__text_sha256", "origin")),
                "originals": sorted(models.Original.objects.values_list("sha256", "content_type", "url")),
            }
    finally:
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_load_gives_the_store_ingest_gives(backend, tmp_path, analyzer, inline_fixture, monkeypatch):
    from caacwatch.distributed.load import load_batch
    from caacwatch.extract.analyzer import Analyzer
    from caacwatch.ingest.sources import iter_sources
    from caacwatch.monitor import ingest
    from caacwatch.store import open_store

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ingested_url = fresh_database_url(backend, tmp_path / "a")
    loaded_url = fresh_database_url(backend, tmp_path / "b")
    ingested = ingest(iter_sources(jsonl=[str(REPORTS)]), open_store(ingested_url), analyzer=analyzer, batch_size=4)

    def no_analysis(*args, **kwargs):
        raise AssertionError("load must not analyse")

    monkeypatch.setattr(Analyzer, "__init__", no_analysis)
    monkeypatch.setattr(Analyzer, "analyze_records", no_analysis)
    loaded = load_batch(inline_fixture, open_store(loaded_url), batch_size=4)
    assert loaded.to_json() == ingested.to_json()
    assert _store_state(loaded_url) == _store_state(ingested_url)
    again = load_batch(inline_fixture, open_store(loaded_url), batch_size=4)
    assert again.to_json()["already_stored"] == 9 and again.to_json()["new"] == 0


def test_load_refuses_other_files(tmp_path):
    from caacwatch.distributed.load import open_batch_file
    from caacwatch.distributed.schema import METADATA_KEY

    with pytest.raises(BatchError, match=r"\[E401\].*not Parquet"):
        open_batch_file(REPORTS)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"id": ["a"]}), plain)
    with pytest.raises(BatchError, match=r"\[E401\]"):
        open_batch_file(plain)
    future = tmp_path / "future.parquet"
    pq.write_table(pa.table({"id": ["a"]}).replace_schema_metadata({METADATA_KEY: b"caacwatch.batch/9"}), future)
    with pytest.raises(BatchError, match=r"\[E402\].*caacwatch.batch/9"):
        open_batch_file(future)


# --- the commands ------------------------------------------------------------------------------
def _app() -> typer.Typer:
    from caacwatch.cli_batch import register
    from caacwatch.cli_store import register as register_store

    app = typer.Typer()
    register(app)
    register_store(app)
    return app


def test_batch_and_load_commands(tmp_path):
    runner, app = CliRunner(), _app()
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["batch", "--jsonl", str(REPORTS), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 9 and summary["analysed"] == 7 and summary["errors_by_code"] == {"E101": 1, "E102": 1}
    db = str(tmp_path / "db.sqlite3")
    result = runner.invoke(app, ["load", str(out), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    loaded = json.loads(result.stdout)
    assert loaded["new"] == 6 and loaded["rejected"] == 2 and loaded["incidents_created"] >= 3
    stats = json.loads(runner.invoke(app, ["stats", "--db", db, "--format", "json"]).stdout)
    assert stats["documents"] == 6 and stats["duplicates"] == 2


def test_batch_command_errors(tmp_path):
    runner, app = CliRunner(), _app()
    result = runner.invoke(app, ["load", str(REPORTS), "--db", str(tmp_path / "db.sqlite3")])
    assert result.exit_code == 2 and "E401" in result.output
    result = runner.invoke(app, ["batch", "--out", str(tmp_path / "o.parquet")])
    assert result.exit_code == 2 and "--jsonl" in result.output
    result = runner.invoke(app, ["batch", "--jsonl", str(REPORTS), "--out", str(tmp_path / "o.parquet"), "--workers", "2"])
    assert result.exit_code == 2 and "--engine ray" in result.output


def test_chunks_go_longest_first_within_windows():
    from caacwatch.distributed.ray_engine import longest_first

    sized = [(size, position, f"ref{position}") for position, size in enumerate([5, 90, 10, 70, 1, 3])]
    assert longest_first(sized, window=3) == ["ref1", "ref2", "ref0", "ref3", "ref5", "ref4"]
    assert longest_first(sized, window=100) == ["ref1", "ref3", "ref2", "ref0", "ref5", "ref4"]
    ties = [(7, 0, "a"), (7, 1, "b")]
    assert longest_first(ties, window=2) == ["a", "b"]  # equal sizes keep the input order
