"""Linking: which documents are copies of one another, which allegations are one incident, who says so.

Plain Python decisions (no Django, no spaCy) that the database-backed store, workers and benchmarks
share: :mod:`~caacwatch.link.near_duplicates` (syndicated copies and re-saves of a story),
:mod:`~caacwatch.link.incidents` (same-incident matching), :mod:`~caacwatch.link.sources`
(independent sources). Nothing here may import Django.
"""
