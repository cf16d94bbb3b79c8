"""Every relative link and image in the project's Markdown (README, docs/, benchmarks/) points at a file that exists:
users follow them, and a moved file used to leave RESULTS.md's plots behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md"), *(REPO / "benchmarks").rglob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in LINK.finditer(text):
        target = match.group(1).split("#", 1)[0]
        if target and not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
            found.append((text.count("\n", 0, match.start()) + 1, target))
    return found


def test_the_pages_are_found():
    assert REPO / "README.md" in PAGES and REPO / "benchmarks" / "RESULTS.md" in PAGES
    assert sum(len(relative_links(page)) for page in PAGES) > 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_a_file_that_exists(page: Path):
    missing = [(line, target) for line, target in relative_links(page) if not (page.parent / target).exists()]
    assert not missing, f"{page.relative_to(REPO)}: links to nothing (line, target): {missing}"
