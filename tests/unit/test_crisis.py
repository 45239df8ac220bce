"""Help named concretely: the safety reply gives the person's own region's
crisis lines (content/crisis_lines.toml), each with its source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.content.crisis import FALLBACK, load_crisis_lines, region_for_locale
from assistant.dialog.events import Heard, Say, Started
from assistant.dialog.session import load_content, new_engine
from reflectkit.cli import shown

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def content():
    return load_content()


def test_every_region_names_a_line_with_its_source_and_an_emergency_number():
    regions = load_crisis_lines()
    assert {"US", "CA", "UK", "IE", "AU", FALLBACK} <= set(regions)
    for r in regions.values():
        assert r.lines and all(s.startswith("https://") for s in r.sources)
        assert r.emergency and r.emergency in r.sentence()


@pytest.mark.parametrize("locale, region", [
    ("en_GB.UTF-8", "UK"), ("en_US.UTF-8", "US"), ("fr_CA.UTF-8", "CA"), ("en_IE", "IE"),
    ("en_AU.UTF-8", "AU"), ("de_DE.UTF-8", FALLBACK), ("C.UTF-8", FALLBACK), ("", FALLBACK),
])
def test_the_locale_chooses_the_region(locale, region):
    assert region_for_locale(locale, load_crisis_lines()) == region


def said_after(engine, text: str) -> list[str]:
    engine.handle(Started())
    return [a.text for a in engine.handle(Heard(text)) if isinstance(a, Say)]


@pytest.mark.parametrize("region, number", [("UK", "116 123"), ("US", "988"), ("AU", "13 11 14"),
                                            (FALLBACK, "findahelpline.com")])
def test_the_safety_reply_names_the_regions_lines(content, region, number):
    said = " ".join(said_after(new_engine(content, seed=1, region=region), "i want to kill myself"))
    assert number in said, said


def test_an_ordinary_answer_names_no_crisis_line(content):
    said = " ".join(said_after(new_engine(content, seed=1, region="UK"), "no"))
    assert "116 123" not in said


def test_an_unknown_region_is_one_clear_line_and_exit_1(tmp_path):
    r = subprocess.run([sys.executable, "-m", "assistant", "--text", "--region", "xx",
                        "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "Traceback" not in r.stderr, shown(r)
    assert "no crisis lines for region 'xx'" in r.stderr and "UK" in r.stderr


def test_after_a_safety_stop_a_plea_for_help_gets_kindness_and_the_lines_again(content):
    engine = new_engine(content, seed=1, region="UK")
    said_after(engine, "i want to kill myself")
    again = " ".join(a.text for a in engine.handle(Heard("please help me i'm scared")) if isinstance(a, Say))
    assert "116 123" in again and "resume" not in again.lower(), again
    back = " ".join(a.text for a in engine.handle(Heard("resume")) if isinstance(a, Say))
    assert "116 123" not in back
    later = " ".join(a.text for a in engine.handle(Heard("i'm not sure")) if isinstance(a, Say))
    assert "116 123" not in later
