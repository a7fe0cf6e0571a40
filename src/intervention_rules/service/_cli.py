"""The service's subcommands: ``serve`` (the CDS Hooks service) and ``audit export|report``.

:func:`register` declares them; each handler imports FastAPI, uvicorn or Jinja2 only when it runs,
so the command line works without the ``service`` extra until one of these is chosen.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

__all__ = ["register"]

DEFAULT_AUDIT = "intervention-rules-audit.sqlite3"
SALT_VARIABLE = "INTERVENTION_RULES_AUDIT_SALT"


def _date(text: str) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def _port(text: str) -> int:
    """A port number in ASCII digits (``int`` would also read other scripts' digits)."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {text!r}")
    return int(text)


def _digest(text: str) -> str:
    """A rule-set digest as ``intervention-rules digest`` prints it; anything else could never
    match, and is wrong usage rather than a rule set that fails its check."""
    if re.fullmatch(r"sha256:[0-9a-f]{64}", text) is None:
        raise argparse.ArgumentTypeError(
            "not a digest: expected sha256: and 64 lower-case hexadecimal digits, "
            "as 'intervention-rules digest' prints"
        )
    return text


def _origin(text: str) -> str:
    from ._cors import check_origin  # the standard library only: no extra needed to check it

    try:
        return check_origin(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (OSError when it cannot), bound before the service
    says it is serving, so that a port in use fails the command like any other failure to start."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    return socket.create_server((host, port), family=family)


def _audit_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--audit",
        metavar="PATH|URL",
        default=DEFAULT_AUDIT,
        help="the audit store: a SQLite file (default: %(default)s in the current directory) or a "
        "postgresql:// URL shared by several workers",
    )


def register(subparsers: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Declare ``serve`` and ``audit`` on the main parser's subparsers."""
    se = subparsers.add_parser(
        "serve",
        help="serve the rule set as CDS Hooks 2.0 services (needs the 'service' extra)",
        description="Serve CDS Hooks 2.0 services (patient-view, order-select, order-sign) for the "
        "rule set. A rule set that does not load, or whose digest differs from --expected-digest, "
        "is not served, nor one on an address it cannot listen on: the command exits with status 1.",
    )
    rules_option(se)
    se.add_argument(
        "--expected-digest",
        type=_digest,
        metavar="sha256:HEX",
        help="refuse to start unless the rule set's digest is exactly this (see 'intervention-rules digest')",
    )
    se.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    se.add_argument(
        "--port", type=_port, default=8080, help="port to listen on, 0: any free one (default: %(default)s)"
    )
    _audit_option(se)
    se.add_argument(
        "--audit-salt-file",
        metavar="FILE",
        help=f"the secret salt of the input hashes (default: ${SALT_VARIABLE}, else a random salt "
        "for this process, so hashes compare only within it)",
    )
    se.add_argument(
        "--audit-store-input",
        action="store_true",
        help="also store each request's input (patient data) in the audit trail; off by default",
    )
    se.add_argument(
        "--max-request-bytes",
        type=_positive,
        default=1024 * 1024,
        metavar="N",
        help="larger request bodies get 413 (default: %(default)s)",
    )
    se.add_argument(
        "--medication-codes", metavar="FILE", help="the medication code map (default: the bundled one)"
    )
    se.add_argument(
        "--cors-origin",
        type=_origin,
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser-based CDS clients from this origin (https://ehr.example.org) to call the "
        "service; repeat for several; '*' is not accepted (default: none, no CORS headers)",
    )
    se.set_defaults(handler=_serve)

    au = subparsers.add_parser("audit", help="read the decision audit trail: export, or a governance report")
    actions = au.add_subparsers(dest="audit_command", required=True, parser_class=type(au))
    ex = actions.add_parser("export", help="every decision and feedback record as JSON lines, in time order")
    re_ = actions.add_parser(
        "report", help="per rule and per intervention: cards shown, accepted, overridden, override reasons"
    )
    for p in (ex, re_):
        _audit_option(p)
        p.add_argument("--since", type=_date, metavar="DATE", help="from this day (UTC), inclusive")
        p.add_argument("--until", type=_date, metavar="DATE", help="up to this day (UTC), exclusive")
        p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    re_.add_argument("--format", choices=("html", "md"), default="html", help="output format")
    ex.set_defaults(handler=_export)
    re_.set_defaults(handler=_report)


def _fail(stderr: TextIO, message: str, status: int = 1) -> int:
    stderr.write(f"intervention-rules: error: {message}\n")
    return status


def _salt(args: argparse.Namespace, stderr: TextIO) -> bytes | None:
    if args.audit_salt_file:
        return Path(args.audit_salt_file).read_bytes().strip()
    if os.environ.get(SALT_VARIABLE):
        return os.environ[SALT_VARIABLE].encode("utf-8")
    stderr.write(
        f"note: no audit salt configured (--audit-salt-file or ${SALT_VARIABLE}); input hashes use a "
        "random salt and compare only within this process\n"
    )
    return None


def _serve(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    import uvicorn  # a missing extra is reported by the command line, exit 2

    from ..loading import load_ruleset
    from ._app import ServiceConfig, create_app
    from ._audit import AuditError, open_sink

    ruleset = load_ruleset(args.rules)  # RuleSetError: the caller reports it, exit 1
    if args.expected_digest is not None and ruleset.digest != args.expected_digest:
        return _fail(
            stderr,
            f"the rule set's digest {ruleset.digest} is not the expected {args.expected_digest}; "
            "the service does not start",
        )
    if args.expected_digest is None:
        stderr.write(
            "note: no --expected-digest: serving these rule files as they are, not a pinned version\n"
        )
    try:
        salt = _salt(args, stderr)
    except OSError as error:
        return _fail(stderr, f"cannot read the audit salt file {args.audit_salt_file}: {error.strerror}", 2)
    try:
        sink = open_sink(args.audit)
    except AuditError as error:
        return _fail(stderr, f"{error}; the service does not start")
    options: dict[str, Any] = {
        "store_input": args.audit_store_input,
        "max_body": args.max_request_bytes,
        "cors_origins": args.cors_origin,
    }
    if salt is not None:
        options["salt"] = salt
    try:
        app = create_app(ruleset, ServiceConfig(sink=sink, medication_codes=args.medication_codes, **options))
    except Exception as error:  # noqa: BLE001  # any failure to build the service: fail closed, say why
        sink.close()
        return _fail(stderr, f"the service cannot start: {error}")
    try:
        listening = _listen(args.host, args.port)
    except OSError as error:
        sink.close()
        # errno's own words: create_server adds the address again; name lookups have negative codes
        code = error.errno or 0
        why = os.strerror(code) if code > 0 else error.strerror or str(error)
        return _fail(stderr, f"cannot listen on {args.host}:{args.port}: {why}; the service does not start")
    host, port = listening.getsockname()[:2]
    where = f"[{host}]" if ":" in host else host
    stderr.write(f"serving {ruleset.name} {ruleset.version} ({ruleset.digest}) on http://{where}:{port}\n")
    stderr.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        with listening:
            server.run(sockets=[listening])
    finally:
        sink.close()
    if not server.started:
        return _fail(stderr, "the service did not start; see the messages above")
    return 0


def _from_trail(
    args: argparse.Namespace, stdout: TextIO, stderr: TextIO, text: Callable[[Any], Iterable[str]]
) -> int:
    """Open the audit store named by ``--audit`` (never creating one), and write what ``text``
    makes of it to ``--output`` or standard output."""
    from ._audit import AuditError, open_sink

    if "://" not in args.audit and not Path(args.audit).is_file():
        return _fail(stderr, f"no audit store at {args.audit}", 2)
    try:
        sink = open_sink(args.audit)
    except AuditError as error:
        return _fail(stderr, str(error))
    try:
        try:
            out = open(args.output, "w", encoding="utf-8") if args.output else stdout  # noqa: SIM115  # closed below
        except OSError as error:
            return _fail(stderr, f"cannot write {args.output}: {error.strerror}", 2)
        try:
            out.writelines(text(sink))
        finally:
            if out is not stdout:
                out.close()
    except AuditError as error:
        return _fail(stderr, str(error))
    finally:
        sink.close()
    return 0


def _export(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    def lines(sink: Any) -> Iterable[str]:
        for record in sink.export(args.since, args.until):
            yield json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"

    return _from_trail(args, stdout, stderr, lines)


def _report(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from ._report import audit_report  # needs Jinja2: a missing extra is reported, exit 2

    def page(sink: Any) -> Iterable[str]:
        # every record: the range selects decisions, and the feedback on them whenever it came
        yield audit_report(sink.export(), args.format, since=args.since, until=args.until)

    return _from_trail(args, stdout, stderr, page)
