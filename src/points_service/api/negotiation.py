"""Content negotiation: what an `Accept` header asks of the media types an operation offers."""

from __future__ import annotations


def qualities(accept: str, *offered: str) -> dict[str, float]:
    """The quality value (RFC 9110 §12.5.1) `accept` gives each of the `offered` media types by
    name: 0 when it does not name it (a wildcard names none), the highest when named twice; a
    missing `q` is 1, one that is not a number 0."""
    quality = dict.fromkeys(offered, 0.0)
    for media_range in accept.split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        kind = kind.lower()
        if kind not in quality:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[kind] = max(quality[kind], q)
    return quality
