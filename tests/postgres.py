"""A throw-away PostgreSQL 15 server for the audit tests, started by the test run itself.

``initdb`` and ``pg_ctl`` come from the distribution (``/usr/lib/postgresql/15/bin``, else the newest
version there, which ``python3 dev.py test`` installs when there is none) or the PATH.
PostgreSQL refuses to run as root, so when the tests run as root (as CI does) the server runs as the
``postgres`` user on a temporary directory that user owns. It listens on 127.0.0.1 on a free port,
trusts local connections, and is stopped and deleted when the session ends.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _tool(name: str) -> str:
    """PostgreSQL 15 where it is installed, else the newest version the distribution installed."""
    installed = Path("/usr/lib/postgresql").glob(f"*/bin/{name}")
    versions = sorted(installed, key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    preferred = [p for p in versions if p.parts[-3] == "15"] or versions[-1:]
    if preferred:
        return str(preferred[0])
    found = shutil.which(name)
    assert found, f"PostgreSQL's {name} is missing: install PostgreSQL 15 (postgresql-15)"
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test session."""
    as_user: dict[str, Any] = {}
    root = Path(tempfile.mkdtemp(prefix="ir-postgres-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    data, log = root / "data", root / "server.log"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    subprocess.run(
        [_tool("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        env=env,
        cwd=root,
        **as_user,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
    started = subprocess.run(
        [_tool("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
        capture_output=True,
        env=env,
        cwd=root,
        **as_user,
    )
    try:
        assert started.returncode == 0, log.read_text(errors="replace") if log.exists() else started.stderr
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            env=env,
            cwd=root,
            **as_user,
        )
        shutil.rmtree(root, ignore_errors=True)
