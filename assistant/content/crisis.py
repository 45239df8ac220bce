"""Crisis lines by region (crisis_lines.toml): help named concretely.

Which region applies is the caller's to say (an option, the environment or
the locale); this module only reads the file and words the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.content.files import ContentError, content_dir, load_toml

FALLBACK = "INTL"


@dataclass(frozen=True)
class CrisisLines:
    region: str
    name: str
    emergency: str
    lines: tuple[str, ...]
    sources: tuple[str, ...]
    locales: tuple[str, ...]

    def sentence(self) -> str:
        """One spoken sentence: where to call, and the emergency number."""
        where = f"In {self.name}, " if self.name else ""
        said = "; ".join(self.lines)
        first = f"{where}{said}." if said else ""
        first = first[:1].upper() + first[1:]
        return f"{first} In an emergency, call {self.emergency}.".strip()


def load_crisis_lines(path: Path | None = None) -> dict[str, CrisisLines]:
    path = path or content_dir() / "crisis_lines.toml"
    regions = load_toml(path).get("regions")
    if not isinstance(regions, dict) or FALLBACK not in regions:
        raise ContentError(f"{path}: key 'regions' needs at least the region {FALLBACK}")
    out: dict[str, CrisisLines] = {}
    for code, r in regions.items():
        where = f"{path}: key 'regions.{code}"
        if not isinstance(r, dict) or not isinstance(r.get("emergency"), str) or not r["emergency"].strip():
            raise ContentError(f"{where}.emergency' must be a non-empty string")
        lines = r.get("lines")
        if not isinstance(lines, list) or not lines or not all(
                isinstance(x, dict) and isinstance(x.get("say"), str) and x["say"].strip()
                and isinstance(x.get("source"), str) and x["source"].startswith("https://") for x in lines):
            raise ContentError(f"{where}.lines' must list {{ say, source }} tables, each source an https address")
        locales = r.get("locales", [])
        if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
            raise ContentError(f"{where}.locales' must be a list of strings")
        out[code.upper()] = CrisisLines(code.upper(), str(r.get("name", "")), r["emergency"].strip(),
                                        tuple(x["say"].strip() for x in lines),
                                        tuple(x["source"] for x in lines), tuple(locales))
    return out


def region_for_locale(locale: str, regions: dict[str, CrisisLines]) -> str:
    """"en_GB.UTF-8" -> "UK"; a locale no region lists -> the fallback."""
    base = locale.split(".")[0].split("@")[0]
    for code, r in regions.items():
        if base in r.locales:
            return code
    return FALLBACK
