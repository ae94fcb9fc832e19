"""Generated sections of the README (settings reference, benchmark table), between markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def replace_section(name: str, body: str, readme: Path = README) -> None:
    """Replace what stands between ``<!-- name:begin -->`` and ``<!-- name:end -->``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = readme.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"expected markers {begin} and {end} in {readme}")
    start, stop = text.index(begin) + len(begin), text.index(end)
    readme.write_text(text[:start] + "\n" + body.strip() + "\n" + text[stop:])
