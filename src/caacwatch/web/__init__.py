"""The web workbench: a Django app over the monitoring store (pages, a JSON API, review, audit).

Served by ``caacwatch serve`` (waitress + whitenoise). Its settings are part of the store's base
configuration (:mod:`caacwatch.web.settings`); its own tables hold API tokens, login failures,
merge pointers, the instance secret and the append-only, hash-chained audit log.
"""
