"""Masking secrets in texts that leave the process (stored results, Data Docs, emails, logs)."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
_KEY_VALUE_SECRET = re.compile(
    r"(?P<key>password|passwd|pwd|secret|token|api[_-]?key|client_secret)(?P<sep>\s*[=:]\s*)[^\s&,;]+",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """``text`` without URL passwords or ``key=value`` secrets."""
    text = _URL_PASSWORD.sub(r"\g<scheme>:***@", text)
    return _KEY_VALUE_SECRET.sub(r"\g<key>\g<sep>***", text)
