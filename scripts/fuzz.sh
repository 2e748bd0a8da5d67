#!/usr/bin/env bash
# Coverage-guided fuzzing (atheris) of the ingestion and span code, for a bounded time.
#
#   bash scripts/fuzz.sh [SECONDS]     # SECONDS per target (default 25: two targets, under a minute)
#
# Each target starts from its seed corpus in fuzz/corpus/<target> (copied: new inputs never land in the
# repository) and stops after SECONDS. A crash, an assertion failure or an input slower than
# FUZZ_INPUT_TIMEOUT seconds (default 20) fails the script; the input that did it is written to
# $FUZZ_ARTIFACTS (default: a fresh temporary folder), whose path is printed. Needs atheris
# (pip install atheris==2.3.0).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-25}
PYTHON=${PYTHON:-.venv/bin/python}
ARTIFACTS=${FUZZ_ARTIFACTS:-$(mktemp -d "${TMPDIR:-/tmp}/caacwatch-fuzz.XXXXXX")}
INPUT_TIMEOUT=${FUZZ_INPUT_TIMEOUT:-20}
mkdir -p "$ARTIFACTS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/caacwatch-fuzz-corpus.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

status=0
for target in ingest spans; do
  # Longest input: a page or a feed needs room; a span input picks one word per ~2 bytes.
  if [ "$target" = ingest ]; then max_len=2048; else max_len=512; fi
  cp -r "fuzz/corpus/$target" "$WORK/$target"
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s (artifacts in $ARTIFACTS)" >&2
  if ! "$PYTHON" "fuzz/fuzz_$target.py" "$WORK/$target" \
      -max_total_time="$SECONDS_PER_TARGET" -timeout="$INPUT_TIMEOUT" -rss_limit_mb=4096 \
      -max_len="$max_len" -len_control=0 \
      -artifact_prefix="$ARTIFACTS/$target-" -print_final_stats=1 >"$ARTIFACTS/$target.log" 2>&1; then
    echo "fuzz: $target FAILED; last lines of $ARTIFACTS/$target.log:" >&2
    tail -n 40 "$ARTIFACTS/$target.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^Done" "$ARTIFACTS/$target.log" >&2 || true
  fi
done
if ls "$ARTIFACTS"/*-crash-* "$ARTIFACTS"/*-timeout-* "$ARTIFACTS"/*-oom-* >/dev/null 2>&1; then
  echo "fuzz: failing inputs:" >&2
  ls "$ARTIFACTS"/*-crash-* "$ARTIFACTS"/*-timeout-* "$ARTIFACTS"/*-oom-* 2>/dev/null >&2 || true
  status=1
fi
exit "$status"
