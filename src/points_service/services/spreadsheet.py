"""CSV cells that a spreadsheet will not run.

A spreadsheet opening a CSV document takes a cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return for a formula (CSV injection). Text that clients wrote (a reason, a ticket's
reference, an account id) is written with a leading apostrophe in that case, as OWASP advises:
shown as text, never run. Numbers and amounts are never passed through here.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows as text."""
    return "'" + text if text.startswith(FORMULA_START) else text
