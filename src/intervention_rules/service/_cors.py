"""Cross-origin requests from browser-based CDS clients: an explicit allow-list of origins, served
by Starlette's own CORS middleware.

Checking an origin needs no optional package, so the command line checks ``--cors-origin`` as it
reads its arguments, before anything is loaded.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from typing import Any

__all__ = ["CORS_HEADERS", "CORS_METHODS", "check_origin", "with_cors"]

#: What a CDS client's browser may send: the JWT bearer token and a JSON body.
CORS_HEADERS = ("Authorization", "Content-Type")
#: Discovery, health and the Questionnaire are GETs; the hooks and feedback are POSTs. Preflight
#: (OPTIONS) requests are answered by the middleware itself.
CORS_METHODS = ("GET", "POST")


def check_origin(text: str) -> str:
    """``text`` if it is an origin as a browser sends it in the ``Origin`` header
    (``https://ehr.example.org``, ``http://127.0.0.1:3000``); ``ValueError`` saying what is wrong
    otherwise. The middleware compares origins as text, so a trailing slash, a path, upper case or
    a default port would never match: they are refused, with the form to write. ``*`` and ``null``
    are refused: the list names the EHRs allowed, one by one."""
    if text == "*":
        raise ValueError("'*' is not accepted: list each EHR's origin, such as https://ehr.example.org")
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an origin (http or https://HOST[:PORT]): {text!r}")
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower case, without brackets for IPv6
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[scheme]
    canonical = f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")
    if text != canonical:
        raise ValueError(
            f"not an origin as a browser sends it: {text!r}; write {canonical!r} "
            "(no path, no trailing slash, lower case, no default port)"
        )
    return text


def with_cors(app: Any, origins: Iterable[str]) -> Any:
    """``app`` answering cross-origin requests from ``origins`` (none: ``app`` itself, which sends
    no CORS header). Outermost, so the request-size limit's 413 carries the headers too, and a
    preflight is answered before any other layer sees it: it is never a hook call, nor audited."""
    allowed = tuple(origins)
    if not allowed:
        return app
    from starlette.middleware.cors import CORSMiddleware

    return CORSMiddleware(
        app,
        allow_origins=allowed,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        allow_credentials=False,  # a bearer token is a header the page sends, not a cookie
    )
