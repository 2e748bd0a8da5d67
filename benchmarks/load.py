"""Load test of the web workbench: the incident list and the incident page, as HTML and as JSON.

    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 \\
        --username loadtest --password-file pw.txt --token-file token.txt --json /tmp/load.json
    .venv/bin/python benchmarks/load.py --serve --db /tmp/load100k.sqlite3 --threads 8 ...   # starts its own server

Drives a running ``caacwatch serve`` (``--url``) or starts one in a subprocess (``--serve --db``)
with locust's Python API (``FastHttpUser``, gevent): ``--users`` simulated users (20) started at
once, for a fixed ``--run-time`` (60 s), each waiting ``--wait MIN MAX`` seconds between two
requests (``--wait 0 0``: back to back, the server's saturation). The mix, by weight:

* 3 — the incident list page, ``/incidents`` (HTML): half unfiltered, a quarter filtered by
  violation, a quarter by country; one in four asks for page 2 or 3;
* 2 — its JSON twin, ``/api/incidents`` (default page size 50), filters chosen the same way
  (pages 2 and 3 of the unfiltered list only: the API refuses a page past the end with 400);
* 3 — the incident page, ``/incidents/<id>`` (HTML), a random incident;
* 2 — its JSON twin, ``/api/incidents/<id>``.

Pages are read with a session cookie: every simulated user signs in once through the ``/login``
form (with its CSRF token) *before* the measured run (a sign-in costs a PBKDF2 hash, ~0.3 s of
CPU). The API is read with ``Authorization: Token``. Incident ids and the countries filtered on are
taken from ``/api/incidents`` before the run (``--max-ids`` newest incidents). A request fails if
the answer is not 200 (redirects are not followed: a lost session shows as a 302 failure).

Output: requests/s overall and per endpoint, p50/p95/p99/max latency in ms (exact, from every
request's time, not locust's rounded histogram), failures, and the CPU seconds of the load
generator and (when its pid is known) of the server; as a table and, with ``--json``, as JSON.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ENDPOINTS = ("incident list (HTML)", "incident list (API)", "incident page (HTML)", "incident page (API)")
VIOLATIONS = ("recruitment_use", "killing_maiming", "sexual_violence", "attacks_schools_hospitals",
              "abduction", "denial_humanitarian_access")


# --- before the run: a server, sessions, incident ids -------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: str, threads: int, port: int | None = None) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "caacwatch.web", "serve", "--db", db, "--port", str(port), "--threads", str(threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(http, base: str, process: subprocess.Popen | None, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}: {process.stderr.read().decode(errors='replace')}")
        try:
            if http.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"{base}/healthz did not answer in {seconds:.0f} s")


def sign_in(http, base: str, username: str, password: str) -> str:
    """One session through the /login form (CSRF token from the form); returns the sessionid."""
    session = http.Session()
    form = session.get(base + "/login", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or not match:
        raise SystemExit(f"/login answered {form.status_code} without a CSRF token")
    answer = session.post(base + "/login", data={"csrfmiddlewaretoken": match.group(1), "username": username,
                                                 "password": password, "next": "/"},
                          headers={"Referer": base + "/login"}, allow_redirects=False, timeout=60)
    sessionid = session.cookies.get("sessionid")
    if answer.status_code != 302 or not sessionid:
        raise SystemExit(f"sign-in as {username!r} failed ({answer.status_code}): check --username and the password")
    return sessionid


def collect_targets(http, base: str, token: str, max_ids: int) -> dict[str, Any]:
    """Ids of the newest ``max_ids`` incidents and the countries they are in (one per incident,
    so a country is picked as often as incidents are in it)."""
    ids: list[int] = []
    countries: list[str] = []
    page = 1
    while len(ids) < max_ids:
        answer = http.get(f"{base}/api/incidents", params={"page": page, "page_size": 500},
                          headers={"Authorization": f"Token {token}"}, timeout=120)
        if answer.status_code != 200:
            raise SystemExit(f"/api/incidents answered {answer.status_code}: check --token-file")
        data = answer.json()
        for incident in data["results"]:
            ids.append(incident["id"])
            if incident["countries"]:
                countries.append(incident["countries"][0])
        if page >= data["pages"]:
            break
        page += 1
    if not ids:
        raise SystemExit("the database has no incidents to read")
    return {"ids": ids[:max_ids], "countries": countries or ["UA"], "count": data["count"],
            "pages": -(-data["count"] // 50)}  # of the unfiltered list at the default page size


# --- the simulated users ------------------------------------------------------------------------
def user_class(base: str, token: str, sessions: list[str], targets: dict[str, Any], wait: tuple[float, float], seed: int):
    from locust import between, constant, task
    from locust.contrib.fasthttp import FastHttpUser

    pool = list(sessions)
    counter = iter(range(10**9))

    class WorkbenchViewer(FastHttpUser):
        host = base
        wait_time = constant(0) if wait[1] <= 0 else between(*wait)
        network_timeout = 60.0
        connection_timeout = 60.0

        def on_start(self) -> None:
            number = next(counter)
            self.rng = random.Random(seed * 1000 + number)
            self.cookie = {"Cookie": f"sessionid={pool[number % len(pool)]}"}
            self.token = {"Authorization": f"Token {token}"}

        def _filter(self, api: bool) -> dict[str, Any]:
            """No filter, a violation or a country; sometimes page 2 or 3 (the API answers 400
            to a page past the end, the page shows the last one: the API pages only the full list,
            and only to pages that exist)."""
            roll = self.rng.random()
            params: dict[str, Any] = {}
            if roll < 0.25:
                params["violation"] = self.rng.choice(VIOLATIONS)
            elif roll < 0.5:
                params["country"] = self.rng.choice(targets["countries"])
            deeper = [n for n in (2, 3) if n <= targets["pages"]]
            if deeper and self.rng.random() < 0.25 and not (api and params):
                params["page"] = self.rng.choice(deeper)
            return params

        def _get(self, path: str, name: str, headers: dict[str, str], params: dict[str, Any] | None = None) -> None:
            query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
            url = f"{path}?{query}" if query else path
            with self.client.get(url, name=name, headers=headers, allow_redirects=False, catch_response=True) as answer:
                if answer.status_code != 200:
                    answer.failure(f"HTTP {answer.status_code}")
                elif not answer.content:
                    answer.failure("empty body")

        @task(3)
        def list_page(self) -> None:
            self._get("/incidents", ENDPOINTS[0], self.cookie, self._filter(api=False))

        @task(2)
        def list_api(self) -> None:
            self._get("/api/incidents", ENDPOINTS[1], self.token, self._filter(api=True))

        @task(3)
        def incident_page(self) -> None:
            self._get(f"/incidents/{self.rng.choice(targets['ids'])}", ENDPOINTS[2], self.cookie)

        @task(2)
        def incident_api(self) -> None:
            self._get(f"/api/incidents/{self.rng.choice(targets['ids'])}", ENDPOINTS[3], self.token)

    return WorkbenchViewer


# --- the run and its figures -----------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summarise(times: dict[str, list[float]], failures: dict[str, int], seconds: float) -> list[dict[str, Any]]:
    rows = []
    for name in (*ENDPOINTS, "all"):
        values = [t for n in ENDPOINTS for t in times[n]] if name == "all" else times[name]
        failed = sum(failures.values()) if name == "all" else failures[name]
        row: dict[str, Any] = {"endpoint": name, "requests": len(values), "failures": failed,
                               "rps": round(len(values) / seconds, 1) if seconds else 0.0}
        if values:
            row.update({"p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
                        "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1),
                        "mean_ms": round(statistics.fmean(values), 1)})
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| endpoint | requests | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        name = f"**{r['endpoint']}**" if r["endpoint"] == "all" else r["endpoint"]
        lines.append(f"| {name} | {r['requests']:,} | {r['rps']} | {r.get('p50_ms', '-')} | {r.get('p95_ms', '-')} | "
                     f"{r.get('p99_ms', '-')} | {r.get('max_ms', '-')} | {r['failures']} |")
    return "\n".join(lines)


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system + times.children_user + times.children_system


def machine_busy_seconds() -> float:
    """CPU seconds spent by every process on every core so far (user, nice, system, interrupts)."""
    import psutil

    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq"))


def run(args: argparse.Namespace) -> dict[str, Any]:
    import gevent
    import requests
    from locust.env import Environment

    password = Path(args.password_file).read_text().strip() if args.password_file else os.environ.get("CAACWATCH_LOAD_PASSWORD", "")
    token = Path(args.token_file).read_text().strip() if args.token_file else os.environ.get("CAACWATCH_LOAD_TOKEN", "")
    if not password or not token:
        raise SystemExit("need a password (--password-file or $CAACWATCH_LOAD_PASSWORD) and a token (--token-file or $CAACWATCH_LOAD_TOKEN)")

    process = None
    base = args.url.rstrip("/") if args.url else None
    server_pid = args.server_pid
    if args.serve:
        process, base = start_server(args.db, args.threads)
        server_pid = process.pid
    assert base is not None
    try:
        wait_healthy(requests, base, process)
        started = time.perf_counter()
        sessions = [sign_in(requests, base, args.username, password) for _ in range(args.users)]
        sign_in_seconds = time.perf_counter() - started
        targets = collect_targets(requests, base, token, args.max_ids)

        times: dict[str, list[float]] = defaultdict(list)
        failures: dict[str, int] = defaultdict(int)
        errors: dict[str, int] = defaultdict(int)
        measuring = {"on": False}

        env = Environment(user_classes=[user_class(base, token, sessions, targets, tuple(args.wait), args.seed)], host=base)

        @env.events.request.add_listener
        def record(request_type, name, response_time, response_length, exception=None, **_):
            if not measuring["on"]:
                return
            times[name].append(response_time)
            if exception is not None:
                failures[name] += 1
                errors[f"{name}: {exception}"[:200]] += 1

        runner = env.create_local_runner()
        server_cpu, own_cpu, machine_cpu = cpu_seconds(server_pid), time.process_time(), machine_busy_seconds()
        measuring["on"] = True
        started = time.perf_counter()
        runner.start(args.users, spawn_rate=args.spawn_rate)
        gevent.spawn_later(args.run_time, runner.quit)
        runner.greenlet.join()
        seconds = time.perf_counter() - started
        measuring["on"] = False
        server_cpu_after = cpu_seconds(server_pid)
        own_cpu = time.process_time() - own_cpu
        machine_cpu = machine_busy_seconds() - machine_cpu
        load_average = os.getloadavg()
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    return {
        "url": base,
        "users": args.users, "spawn_rate": args.spawn_rate, "run_time_s": args.run_time,
        "wait_s": list(args.wait), "measured_s": round(seconds, 2), "server_threads": args.threads if args.serve else None,
        "incidents": targets["count"], "incident_ids_used": len(targets["ids"]),
        "sign_in_s": round(sign_in_seconds, 2),
        "cpu_s": {"load_generator": round(own_cpu, 1),
                  "server": round(server_cpu_after - server_cpu, 1) if server_cpu is not None and server_cpu_after is not None else None,
                  "machine": round(machine_cpu, 1), "cores": os.cpu_count()},
        "load_average_1_5_15": [round(v, 2) for v in load_average],
        "endpoints": summarise(times, failures, seconds),
        "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:20]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running `caacwatch serve`, e.g. http://127.0.0.1:8000")
    where.add_argument("--serve", action="store_true", help="start `caacwatch serve --db DB` on a free port for the run")
    parser.add_argument("--db", help="the database to serve (with --serve)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (with --serve)")
    parser.add_argument("--server-pid", type=int, help="pid of the server given by --url (to report its CPU time)")
    parser.add_argument("--username", default="loadtest", help="a user with the viewer role (or above)")
    parser.add_argument("--password-file", help="its password (else $CAACWATCH_LOAD_PASSWORD)")
    parser.add_argument("--token-file", help="an API token of a viewer (else $CAACWATCH_LOAD_TOKEN)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--run-time", type=float, default=60, help="seconds")
    parser.add_argument("--wait", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                        help="think time between a user's requests, seconds (0 0: none)")
    parser.add_argument("--max-ids", type=int, default=5000, help="how many of the newest incidents to open")
    parser.add_argument("--seed", type=int, default=20240727)
    parser.add_argument("--json", help="write the figures as JSON to this file ('-' for standard output)")
    args = parser.parse_args(argv)
    if args.serve and not args.db:
        parser.error("--serve needs --db")
    if args.users < 1 or args.run_time <= 0 or args.wait[0] > args.wait[1]:
        parser.error("--users ≥ 1, --run-time > 0 and --wait MIN ≤ MAX")

    import locust  # noqa: F401 - gevent's monkey-patching, before any socket is opened

    result = run(args)
    if args.json == "-":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['url']}: {result['users']} users, wait {result['wait_s'][0]}-{result['wait_s'][1]} s, "
          f"{result['measured_s']} s measured, {result['incidents']:,} incidents; CPU s: {result['cpu_s']}")
    print(table(result["endpoints"]))
    for message, count in result["errors"].items():
        print(f"  {count} × {message}")


if __name__ == "__main__":
    main()
