"""Developers: regenerate the store's migrations after changing caacwatch/store/models.py.

    .venv/bin/python scripts/makemigrations.py [--check]

Users never need this: `caacwatch` applies migrations itself when it opens a database.
"""

import sys
import tempfile
from pathlib import Path

from django.core.management import call_command

from caacwatch.store import open_store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        open_store(str(Path(tmp) / "scratch.sqlite3"), migrate=False)
        args = ["caacwatch"] + (["--check", "--dry-run"] if "--check" in sys.argv else [])
        call_command("makemigrations", *args)


if __name__ == "__main__":
    main()
