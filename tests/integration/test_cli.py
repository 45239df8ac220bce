"""The `reflect` command as a subprocess: what users and tools see."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reflectkit.cli import shown

ROOT = Path(__file__).resolve().parents[2]


def reflect(*args: str, stdin: str = "", env: dict | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, text=True,
                          capture_output=True, env=e, timeout=timeout, cwd=cwd or ROOT)


def test_sections_json_lists_all_twelve_with_prompts():
    r = reflect("sections", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["title"] for x in rows][0] == "Introduction"
    assert rows[-1]["title"] == "The Bottom Line"
    assert len(rows) == 12
    assert all(x["prompts"] >= 1 for x in rows)


def test_nlu_single_and_batch():
    r = reflect("nlu", "um read me the section about forgiveness please", "--json")
    out = json.loads(r.stdout)
    assert out["intent"] == "read_section" and out["section"] == "forgiveness"
    assert set(out) >= {"intent", "score", "section", "alternatives", "safety"}
    r = reflect("nlu", "--json", stdin="let's take a break\ni can't stop thinking about it\n")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["intent"] for x in lines] == ["pause", "none"]


def test_piped_session_break_quit_relaunch_welcomed_back(tmp_path):
    data = str(tmp_path / "data")
    answers = "\n".join([
        "yes",                                   # read the introduction
        "i just want to reflect on trust",       # perspective
        "when someone keeps their word",         # free answer
        "all the way, once i've decided",        # forgiving fully
        "no",                                    # don't read What is Trust?
    ]) + "\n"
    r = reflect("--text", "--data-dir", data, stdin=answers)
    assert r.returncode == 0, r.stderr
    assert "Trusting someone means" in r.stdout
    first = json.loads(reflect("status", "--json", "--data-dir", data).stdout)
    assert first["section"] == "what_is_trust"
    # Answer whatever is asked next, take a break, and leave.
    r = reflect("--text", "--data-dir", data, stdin="yes\nit means believing them\nlet's take a break\ngoodbye\n")
    assert r.returncode == 0, shown(r)
    assert "welcome back" in r.stdout.lower() or "again" in r.stdout.lower()
    status = json.loads(reflect("status", "--json", "--data-dir", data).stdout)
    r = reflect("--text", "--data-dir", data, stdin="")
    assert r.returncode == 0, shown(r)
    assert "welcome back" in r.stdout.lower() or "again" in r.stdout.lower()
    again = json.loads(reflect("status", "--json", "--data-dir", data).stdout)
    assert (again["section"], again["step"]) == (status["section"], status["step"])
    journal = json.loads(reflect("journal", "--json", "--data-dir", data).stdout)
    answers = [e["answer"] for e in journal]
    assert "when someone keeps their word" in answers


def test_journal_export_and_delete(tmp_path):
    data = str(tmp_path / "d")
    reflect("--text", "--data-dir", data,
            stdin="no\ni just want to reflect on trust\nmy private words are mine to keep\n")
    out = tmp_path / "j.md"
    r = reflect("journal", "--export", str(out), "--data-dir", data)
    text = out.read_text()
    assert r.returncode == 0 and "my private words are mine to keep" in text, shown(r)
    # The closing summary, in the person's own words, comes first.
    assert text.index("In brief") < text.index("## ") and text.count("mine to keep") == 2
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    r = reflect("journal", "--delete", "--data-dir", data)
    assert r.returncode != 0  # no terminal to confirm on, and no --yes
    r = reflect("journal", "--delete", "--yes", "--data-dir", data)
    assert r.returncode == 0, shown(r)
    assert json.loads(reflect("journal", "--json", "--data-dir", data).stdout) == []


@pytest.mark.parametrize("breakage", [
    ("kind = \"offer_read\"", "kind = \"sing\"", "kind"),
    ("start = \"offer\"", "start = \"nowhere\"", "start"),
    ("[steps.offer]", "[steps.offer\n", "TOML"),
])
def test_malformed_script_names_file_and_key_exit_2(tmp_path, breakage):
    scripts = tmp_path / "sections"
    shutil.copytree(ROOT / "assistant" / "content" / "sections", scripts)
    target = scripts / "03_rebuilding.toml"
    old, new, expect = breakage
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    r = reflect("sections", env={"REFLECT_SCRIPTS_DIR": str(scripts)})
    assert r.returncode == 2, shown(r)
    assert "03_rebuilding.toml" in r.stderr and expect in r.stderr
    assert "Traceback" not in r.stderr
    r = reflect("--text", "--data-dir", str(tmp_path / "d"), env={"REFLECT_SCRIPTS_DIR": str(scripts)})
    assert r.returncode == 2 and "Traceback" not in r.stderr, shown(r)


def test_bad_text_input_is_harmless(tmp_path):
    data = str(tmp_path / "d")
    weird = "\n".join(["", "\x00\x07\x1b[31m", "ß" * 10000, "信頼について", "   ", "🙂🙂"]) + "\n"
    r = reflect("--text", "--data-dir", data, stdin=weird)
    assert r.returncode == 0 and "Traceback" not in r.stderr, shown(r)


def test_corrupt_state_gives_one_sentence_and_continues(tmp_path):
    d = tmp_path / "d"
    reflect("--text", "--data-dir", str(d), stdin="no\n")
    (d / "state.json").write_text("garbage")
    r = reflect("--text", "--data-dir", str(d), stdin="")
    assert r.returncode == 0 and "Traceback" not in r.stderr, shown(r)
    assert "could not be read" in r.stderr


def test_unknown_key_in_a_script_is_named(tmp_path):
    scripts = tmp_path / "sections"
    shutil.copytree(ROOT / "assistant" / "content" / "sections", scripts)
    target = scripts / "05_forgiveness.toml"
    target.write_text(target.read_text().replace("heavy = true", "heavvy = true", 1))
    r = reflect("sections", env={"REFLECT_SCRIPTS_DIR": str(scripts)})
    assert r.returncode == 2 and "heavvy" in r.stderr and "05_forgiveness.toml" in r.stderr, shown(r)


def test_nlu_scores_are_never_negative():
    r = reflect("nlu", "--json", stdin="zzzz qqqq xxxx\nthe\n\n")
    assert all(json.loads(x)["score"] >= 0 for x in r.stdout.splitlines())
