"""The Ray engine: Ray Data over a fixed pool of actors, each holding one loaded pipeline.

The driver reads the inputs into chunks (:func:`~.batch.chunked`: at most ``batch_size`` units,
cut early on long texts; JSON lines are sent raw and parsed on the workers), puts each chunk in the
object store as one Arrow block, and maps the blocks with :class:`BatchAnalyzer` on ``workers``
actors (one CPU each), one chunk per call, at most one more chunk waiting at each actor, so a
free actor soon takes the next chunk. Results come back as chunks finish; the :class:`~.batch.OrderedWriter` puts
them in input order (Ray's own ``preserve_order`` would stall every worker behind one long chunk)
and drops a chunk delivered twice, so the file is the same whatever the scheduling.

Fault tolerance: an actor whose process dies (killed, out of memory, a crash in native code) is
restarted up to :data:`MAX_RESTARTS` times, and the chunk it was analysing is given again, to it
or to another actor, up to :data:`MAX_TASK_RETRIES` times; its rows are written once, when a
try succeeds. A chunk that kills its worker every time ends the run with E407 and no file.

Without ``address`` a local Ray runtime is started for the run (``workers`` CPUs, no dashboard,
no usage statistics, nothing downloaded) and stopped at the end; with one, the run connects to
that cluster, whose nodes must have this caacwatch installed. A Ray session already open in
this process (``ray.init`` by the caller) is used as it is.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caacwatch.distributed.batch import (
    OrderedWriter,
    Progress,
    analyse_units,
    chunk_bytes,
    chunked,
    rows_to_table,
    units_to_table,
)
from caacwatch.distributed.errors import B, BatchError
from caacwatch.distributed.inputs import Unit

if TYPE_CHECKING:
    import pyarrow as pa

MAX_RESTARTS = 3
MAX_TASK_RETRIES = 3
TASKS_IN_FLIGHT = 2  # per actor: one running, one waiting (no idle gap between chunks)
# Ray runs its workers at nice 15 to spare the driver; in a local runtime for one run they are the
# job, and at nice 15 any other program on the machine takes their CPU first.
LOCAL_SYSTEM_CONFIG: dict[str, Any] = {"worker_niceness": 0}
PRESERVE_ORDER = False  # the writer orders the rows; see the module docstring
# Chunks are dispatched longest first within windows of this many chunks per worker: see longest_first.
LPT_WINDOW_PER_WORKER = 16
CRASH_AFTER_CALLS = 2  # with a crash marker (tests): the call on which a worker kills itself
_DEFAULT_TOKEN = Path.home() / ".ray" / "auth_token"
# "Token authentication is enabled for this Ray cluster": Ray's default for a local runtime, not news.
_SILENT_LOGGERS = ("ray._private.authentication.authentication_token_setup",)


class BatchAnalyzer:
    """A Ray Data callable class: the pipeline is loaded once per actor, in ``__init__``."""

    def __init__(self, crash_marker: str | None = None) -> None:
        from caacwatch.extract.analyzer import Analyzer

        _quiet_logging()
        self.analyzer = Analyzer()
        self.crash_marker = crash_marker
        self.calls = 0

    def __call__(self, batch: pa.Table) -> pa.Table:
        self.calls += 1
        table = rows_to_table(analyse_units(batch.to_pylist(), self.analyzer))
        if self.crash_marker and self.calls >= CRASH_AFTER_CALLS:
            _crash_once(self.crash_marker)
        return table


def _crash_once(marker: str) -> None:
    """Kill this worker process, the first time any worker gets here (the marker says it happened)."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os._exit(1)  # as a kill -9 or the OOM killer would: no cleanup, the chunk's result is lost


def run_ray(
    units: Iterable[Unit],
    writer: OrderedWriter,
    *,
    workers: int | None,
    address: str | None,
    batch_size: int,
    progress: Progress | None = None,
    crash_marker: str | None = None,
) -> tuple[int, int]:
    """Analyse ``units`` on Ray into ``writer``; returns (units, workers)."""
    ray, data = _import_ray(address)
    with ray_runtime(address, workers) as pool_size, warnings.catch_warnings():
        # Ray 2.60 warns about its own deprecated settings when it copies a DataContext, and about
        # max_restarts/max_task_retries as remote args; its default for them is unbounded retries,
        # which would loop forever on a chunk that kills every worker.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", module=r"ray\.")  # tuning tips meant for Ray's own users
        sized: list[tuple[int, int, Any]] = []  # (bytes, position, object ref)
        count = 0
        for chunk in chunked(units, batch_size):
            sized.append((chunk_bytes(chunk), len(sized), ray.put(units_to_table(chunk))))
            count += len(chunk)
        if not sized:
            return 0, pool_size
        refs = longest_first(sized, window=LPT_WINDOW_PER_WORKER * pool_size)
        del sized
        pool_size = min(pool_size, len(refs))  # an actor without a chunk would only load a pipeline
        dataset = data.from_arrow_refs(refs)
        del refs  # the dataset holds them; released as the blocks are consumed
        _configure(dataset.context)
        mapped = dataset.map_batches(
            BatchAnalyzer,
            batch_size=None,  # a block is a chunk, and a chunk one call: the inline engine's chunks
            batch_format="pyarrow",
            compute=data.ActorPoolStrategy(size=pool_size, max_tasks_in_flight_per_actor=TASKS_IN_FLIGHT),
            num_cpus=1,
            fn_constructor_kwargs={"crash_marker": crash_marker} if crash_marker else None,
            max_restarts=MAX_RESTARTS,
            max_task_retries=MAX_TASK_RETRIES,
        )
        try:
            for table in mapped.iter_batches(batch_size=None, batch_format="pyarrow"):
                written = writer.add(table)
                if progress and written:
                    progress(written)
        except ray.exceptions.RayError as exc:
            raise BatchError(B.E407, reason=_first_line(exc)) from exc
        return count, pool_size


def longest_first(sized: list[tuple[int, int, Any]], window: int) -> list[Any]:
    """The refs of (bytes, position, ref) entries, longest first within consecutive windows.

    The longest-processing-time rule: a chunk holding a 190,000-character briefing then starts while
    the other chunks of its window are shared out, instead of running alone at the end with every
    other worker idle. Windows bound what the writer must hold back to restore the input order
    (sorting the whole run would buffer all of its rows).
    """
    ordered: list[Any] = []
    for start in range(0, len(sized), max(1, window)):
        part = sorted(sized[start:start + window], key=lambda entry: (-entry[0], entry[1]))
        ordered.extend(ref for _, _, ref in part)
    return ordered


def _configure(context: Any) -> None:
    context.execution_options.preserve_order = PRESERVE_ORDER
    context.enable_progress_bars = False  # the CLI draws its own, counting rows written
    context.print_on_execution_start = False
    context.enable_auto_log_stats = False


@contextmanager
def ray_runtime(address: str | None, workers: int | None) -> Iterator[int]:
    """A Ray session for a run; yields the actor pool size (``workers``, else every CPU)."""
    ray, _ = _import_ray(address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    _quiet_logging()
    started = False
    if not ray.is_initialized():
        quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
        try:
            if address:
                ray.init(address=address, **quiet)
            else:
                # "local": a new runtime even when `ray start` left one running on this machine
                ray.init(
                    address="local",
                    num_cpus=workers or os.cpu_count() or 1,
                    include_dashboard=False,
                    _system_config=LOCAL_SYSTEM_CONFIG,
                    **quiet,
                )
        except Exception as exc:  # ConnectionError, TimeoutError, ValueError: say which cluster and why
            raise BatchError(B.E403, address=address or "(local)", reason=_first_line(exc)) from exc
        started = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        yield max(1, workers or cpus)
    finally:
        if started:
            ray.shutdown()


def _import_ray(address: str | None = None) -> tuple[Any, Any]:
    if address and "ray" not in sys.modules:
        _token_auth_if_available()
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise BatchError(B.E404, reason=str(exc)) from exc
    return ray, ray.data


def _token_auth_if_available() -> None:
    """Connect with the cluster's token when this machine has one (Ray reads the mode at import).

    `ray start --head` enables token authentication and keeps the token in ~/.ray/auth_token, but a
    driver connecting to an address uses it only with RAY_AUTH_MODE=token; an explicit
    RAY_AUTH_MODE is left as it is.
    """
    if "RAY_AUTH_MODE" in os.environ:
        return
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH") or _DEFAULT_TOKEN.is_file():
        os.environ["RAY_AUTH_MODE"] = "token"


def _quiet_logging() -> None:
    logging.getLogger("ray").setLevel(logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # progress and tuning tips: the CLI reports
    for name in _SILENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300].rstrip(". ")
