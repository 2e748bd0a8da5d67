"""Template filters of the workbench."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def changes(value: Any) -> str:
    """An audit entry's before/after as "status: reported; note: …" (escaped by the template)."""
    if not isinstance(value, dict):
        return "" if value in (None, "") else str(value)
    return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def humanize(value: Any) -> str:
    """A code as words: ``pending_verification`` -> ``pending verification`` (escaped by the template)."""
    return "" if value in (None, "") else str(value).replace("_", " ")
