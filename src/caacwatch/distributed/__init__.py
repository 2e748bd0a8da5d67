"""Batch analysis of large inputs into Parquet, inline or on a Ray cluster, and loading the results.

``caacwatch batch`` reads JSON Lines, Parquet and WARC inputs, runs the same analysis as ``caacwatch
ingest`` over every input document and writes one row per input to a Parquet file (schema
:data:`caacwatch.distributed.schema.SCHEMA_VERSION`); ``caacwatch load`` stores such a file in the
monitoring store and links it without analysing anything again.

    from caacwatch.distributed.batch import run_batch
    summary = run_batch(jsonl=["articles.jsonl"], out="out.parquet", engine="ray", workers=2)

    from caacwatch.distributed.load import load_batch
    load_batch("out.parquet", open_store("caacwatch.sqlite3"))

Modules: :mod:`.inputs` (the driver: inputs → work units), :mod:`.batch` (units → rows, the ordered
Parquet writer, :func:`~.batch.run_batch`), :mod:`.inline` and :mod:`.ray_engine` (the engines),
:mod:`.schema` (the Parquet schema), :mod:`.load` (rows → store), :mod:`.errors` (E4xx codes).
Nothing here imports Ray or pyarrow until it is used.
"""
