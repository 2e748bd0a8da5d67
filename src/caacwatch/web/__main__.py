"""``python -m caacwatch.web serve|users|tokens|audit ...``: the workbench commands on their own
(the same functions ``caacwatch`` registers)."""

import typer

from caacwatch.cli_web import register

app = typer.Typer(name="caacwatch-web", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
register(app)

if __name__ == "__main__":
    app()
