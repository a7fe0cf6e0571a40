"""The repository's own files: nothing left behind by a merge."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: |$)|^={7}$|^\|{7}(?: |$)", re.MULTILINE)


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    files = []
    for name in filter(None, listed):
        path = ROOT / name.decode()
        if path.is_file() and b"\0" not in path.read_bytes()[:8192]:
            files.append(path)
    return files


def test_no_tracked_text_file_holds_merge_conflict_markers() -> None:
    files = tracked_text_files()
    assert ROOT / "CHANGELOG.md" in files
    marked = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in files
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for match in CONFLICT.finditer(text)
    ]
    assert not marked


def test_the_conflict_marker_pattern_finds_what_git_leaves() -> None:
    left_by_git = "a\n<<<<<<< HEAD\nours\n||||||| base\nbase\n=======\ntheirs\n>>>>>>> main\nb\n"
    assert len(CONFLICT.findall(left_by_git)) == 4
    assert not CONFLICT.findall("Title\n=====\n\n`<<<<<<<` in prose\n")
