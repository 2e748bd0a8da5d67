"""Scale-out of `caacwatch batch`: inline against Ray with 1 and 2 workers, per-worker memory, and the
figures for a capacity model.

    .venv/bin/python benchmarks/scale.py                       # 2,000 sampled articles (seed 20240727)
    .venv/bin/python benchmarks/scale.py --n 500 --runs ray1,ray2
    .venv/bin/python benchmarks/scale.py --tune 600            # first: Ray 2 workers at several --batch-size
    .venv/bin/python benchmarks/scale.py --load                # also: `caacwatch load` of the output (SQLite)

The sample is the one ``benchmarks/throughput.py`` draws (same seed: the realistic stream, mostly
irrelevant articles). Each run is a fresh interpreter running :func:`caacwatch.distributed.batch.run_batch`
one after the other, so peak memory is per run and runs do not compete:

* ``inline`` - the pipeline is loaded first (timed apart), then the run;
* ``rayN``   - a local Ray runtime with N CPUs is started first (timed apart), then the run with an
               actor pool of N workers: the time includes starting the actors and loading one pipeline
               in each, as every real run pays it.

Reported per run: wall-clock seconds of the run and articles/s; the *steady* rate, counted from the
first result on (the workers are up: what a long run sees); the CPU seconds of each worker (pipeline
loading included); peak RSS of the process for inline, of each Ray worker (``VmHWM`` of the actor
processes, sampled every 0.2 s) and of the driver for Ray.
The outputs of all runs are compared (every column but the read time) and must be identical.
``--driver-rate`` also times the driver alone (reading the input into units and Arrow blocks), which
bounds how many workers one driver can feed. Results are printed as markdown, ready for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
if str(REPO_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "src"))

from throughput import DEFAULT_ARTICLES, DEFAULT_SEED, sample_lines  # noqa: E402

WORKER_TITLE = "BatchAnalyzer"  # Ray names an actor's process after the map: ray::MapWorker(MapBatches(BatchAnalyzer))


# --------------------------------------------------------------------------- one run (subprocess)
def _rss_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class WorkerMemory(threading.Thread):
    """Samples the peak RSS (VmHWM) and the CPU time of every Ray worker process running the batch
    analyzer."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as handle:
                        if WORKER_TITLE.encode() not in handle.read():
                            continue
                except OSError:
                    continue
                peak = _rss_kb(int(entry), "VmHWM")
                if peak:
                    self.peaks[int(entry)] = max(peak, self.peaks.get(int(entry), 0))
                cpu = _cpu_seconds(int(entry))
                if cpu is not None:
                    self.cpu[int(entry)] = max(cpu, self.cpu.get(int(entry), 0.0))

    def stop(self) -> list[float]:
        self.stopped.set()
        self.join()
        return sorted(round(kb / 1024, 1) for kb in self.peaks.values())


def run_one(mode: str, input_path: Path, out: Path, batch_size: int) -> dict[str, Any]:
    from caacwatch.distributed.batch import run_batch

    result: dict[str, Any] = {"mode": mode, "batch_size": batch_size}
    if mode == "inline":
        from caacwatch.extract.analyzer import Analyzer

        started = time.perf_counter()
        analyzer = Analyzer()
        result["setup_seconds"] = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        summary = run_batch(out=out, jsonl=[str(input_path)], batch_size=batch_size, analyzer=analyzer)
        result["seconds"] = time.perf_counter() - started
        result["worker_cpu_seconds"] = [time.process_time() - cpu]
        result["worker_rss_mb"] = []
    else:
        from caacwatch.distributed.ray_engine import ray_runtime

        workers = int(mode.removeprefix("ray"))
        started = time.perf_counter()
        with ray_runtime(None, workers):
            result["setup_seconds"] = time.perf_counter() - started
            memory = WorkerMemory()
            memory.start()
            started = time.perf_counter()
            summary = run_batch(
                out=out, jsonl=[str(input_path)], engine="ray", workers=workers, batch_size=batch_size
            )
            result["seconds"] = time.perf_counter() - started
            result["worker_rss_mb"] = memory.stop()
            result["worker_cpu_seconds"] = sorted(memory.cpu.values())  # incl. loading the pipeline
    result["rows"] = summary.rows
    result["first_rows"] = summary.first_rows
    result["first_result_seconds"] = summary.first_result_seconds
    result["relevant"] = summary.relevant
    result["duplicates_dropped"] = summary.duplicates_dropped
    result["process_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def driver_rate(input_path: Path, batch_size: int) -> dict[str, Any]:
    """The driver's own work per unit: read the lines into units and Arrow blocks (no Ray)."""
    from caacwatch.distributed.batch import chunked, units_to_table
    from caacwatch.distributed.inputs import iter_units

    units_to_table([])  # imports pyarrow: not part of the rate
    started = time.perf_counter()
    count = 0
    for chunk in chunked(iter_units(jsonl=[str(input_path)]), batch_size):
        units_to_table(chunk)
        count += len(chunk)
    seconds = time.perf_counter() - started
    return {"units": count, "seconds": seconds, "units_per_second": count / seconds}


def load_rate(batch_file: Path, db: Path) -> dict[str, Any]:
    from caacwatch.distributed.load import load_batch
    from caacwatch.store import open_store

    store = open_store(str(db))
    started = time.perf_counter()
    summary = load_batch(batch_file, store)
    seconds = time.perf_counter() - started
    counts = summary.to_json()
    return {"seconds": seconds, "inputs": counts["inputs"], "new": counts["new"], "inputs_per_second": counts["inputs"] / seconds}


# --------------------------------------------------------------------------- parent
def spawn(*args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def identical(paths: list[Path]) -> bool:
    import pyarrow.parquet as pq

    def rows(path: Path) -> list[dict]:
        table = pq.read_table(path)
        return table.drop_columns(["original_retrieved_at"]).to_pylist()

    first = rows(paths[0])
    return all(rows(path) == first for path in paths[1:])


def steady_rate(result: dict[str, Any]) -> float:
    """Articles/s after the first result arrived: the rate once the workers are up."""
    seconds = result["seconds"] - (result["first_result_seconds"] or 0.0)
    return (result["rows"] - result["first_rows"]) / seconds if seconds > 0 else float("nan")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--n", type=int, default=2000, help="articles in the sample (default 2000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", default="inline,ray1,ray2", help="comma-separated: inline, ray1, ray2, rayN")
    parser.add_argument("--batch-size", type=int, default=None, help="units per chunk (default: caacwatch's)")
    parser.add_argument("--tune", type=int, default=0, metavar="N",
                        help="only: Ray 2 workers on the first N sampled articles at each of --batch-sizes")
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--driver-rate", action="store_true", help="also time the driver's reading alone")
    parser.add_argument("--load", action="store_true", help="also time `caacwatch load` of the last output")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    from caacwatch.distributed.batch import DEFAULT_BATCH_SIZE

    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    if args.worker:
        if args.worker == "driver":
            result = driver_rate(args.input, batch_size)
        elif args.worker == "load":
            result = load_rate(args.input, args.db)
        else:
            result = run_one(args.worker, args.input, args.out, batch_size)
        print(json.dumps(result))
        return 0

    command = "python benchmarks/scale.py " + shlex.join(sys.argv[1:])
    workdir = Path(tempfile.mkdtemp(prefix="caacwatch-scale-"))
    lines = sample_lines(args.articles, args.n, args.seed)
    print(f"load average before: {loadavg()}", file=sys.stderr)
    if args.tune:
        sample = workdir / "tune.jsonl"
        sample.write_text("".join(lines[: args.tune]), encoding="utf-8")
        print(f"Command: `{command}` ({args.tune} articles, Ray, 2 workers)\n")
        print("| batch size | seconds | articles/s |\n| ---: | ---: | ---: |")
        for size in [int(s) for s in args.batch_sizes.split(",")]:
            r = spawn("--worker", "ray2", "--input", str(sample), "--out", str(workdir / f"t{size}.parquet"),
                      "--batch-size", str(size))
            print(f"| {size} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:.1f} |", flush=True)
        return 0

    sample = workdir / "sample.jsonl"
    sample.write_text("".join(lines), encoding="utf-8")
    results = []
    outputs = []
    for mode in args.runs.split(","):
        out = workdir / f"{mode}.parquet"
        print(f"  {mode} ... (load average {loadavg()})", file=sys.stderr, flush=True)
        result = spawn("--worker", mode, "--input", str(sample), "--out", str(out), "--batch-size", str(batch_size))
        print(f"    {result['rows']} rows in {result['seconds']:.1f} s", file=sys.stderr, flush=True)
        results.append(result)
        outputs.append(out)
    same = identical(outputs)
    extra: dict[str, Any] = {}
    if args.driver_rate:
        extra["driver"] = spawn("--worker", "driver", "--input", str(sample), "--batch-size", str(batch_size))
    if args.load:
        extra["load"] = spawn("--worker", "load", "--input", str(outputs[-1]), "--db", str(workdir / "load.sqlite3"))

    base = next((r for r in results if r["mode"] == "ray1"), results[0])
    print(f"Command: `{command}`\n")
    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{len(lines):,} articles of {args.articles.name} (seed {args.seed}), batch size {batch_size}; "
          f"load average at the end {loadavg()}\n")
    print("| run | setup (s) | run (s) | articles/s | speed-up vs ray1 | steady articles/s | steady speed-up "
          "| steady per worker | CPU s per worker | peak RSS per worker (MB) | driver/process peak RSS (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |")
    for r in results:
        workers = 1 if r["mode"] == "inline" else int(r["mode"].removeprefix("ray"))
        rate, steady = r["rows"] / r["seconds"], steady_rate(r)
        worker_rss = ", ".join(f"{x:,.0f}" for x in r["worker_rss_mb"]) or "(in process)"
        cpu_text = ", ".join(f"{x:.1f}" for x in r["worker_cpu_seconds"])
        print(f"| {r['mode']} | {r['setup_seconds']:.1f} | {r['seconds']:.1f} | {rate:.1f} | "
              f"{base['seconds'] / r['seconds']:.2f}× | {steady:.1f} | {steady / steady_rate(base):.2f}× | "
              f"{steady / workers:.1f} | {cpu_text} | {worker_rss} | {r['process_rss_mb']:,.0f} |")
    print(f"\n- outputs identical across runs (every column but the read time): **{same}**")
    print(f"- relevant: {results[0]['relevant']} of {results[0]['rows']}; duplicates dropped: "
          f"{[r['duplicates_dropped'] for r in results]}")
    if "driver" in extra:
        d = extra["driver"]
        print(f"- driver alone (read lines into units and Arrow blocks): {d['units_per_second']:,.0f} units/s")
    if "load" in extra:
        ld = extra["load"]
        print(f"- `caacwatch load` of the output into SQLite with linking: {ld['seconds']:.1f} s, "
              f"{ld['inputs_per_second']:.1f} inputs/s ({ld['new']} new documents)")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "results": results, "identical": same, **extra}, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
