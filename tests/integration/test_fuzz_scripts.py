"""Bad reflection scripts: every key of a section script is removed, or given
a value of the wrong type: loading fails with a message naming the file and
the key (exit 2 on the command line), or -- for an optional key -- loads;
never a traceback.
"""

from __future__ import annotations

import copy
import json
import random
import re
import shutil
from pathlib import Path

import pytest

from assistant.content.article import load_article
from assistant.content.files import ContentError, load_toml
from assistant.content.scripts import load_scripts
from reflectkit.cli import reflect, shown

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ROOT / "assistant" / "content" / "sections"


# ----------------------------------------------------------- script loader
def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def dump_toml(data: dict, prefix: tuple[str, ...] = ()) -> str:
    """Enough TOML for section scripts: scalars and arrays first, then sub-tables."""
    out = []
    if prefix:
        out.append("[" + ".".join(_toml_key(k) for k in prefix) + "]")
    for k, v in data.items():
        if not isinstance(v, dict) or not v:
            out.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in data.items():
        if isinstance(v, dict) and v:
            out.append(dump_toml(v, prefix + (k,)))
    return "\n".join(out) + "\n"


def _paths(node, path=()):
    """Every key path (and list item) in a parsed TOML document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + (k,), v
            yield from _paths(v, path + (k,))
    elif isinstance(node, list) and node:
        yield path + (0,), node[0]  # the first item stands for all (lists run to hundreds)


def _dotted(path) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else p)
    return s


def _wrong_values(v):
    """Values of a type other than v's."""
    if isinstance(v, bool):
        return ["true"]
    if isinstance(v, str):
        return [42, ["a", "b"]]
    if isinstance(v, list):
        return ["just a string", [1, 2]]
    if isinstance(v, dict):
        return ["just a string", ["a"]]
    return ["text"]


def _set(doc, path, value=None, delete=False):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


# Keys a section script may leave out (docs/reflection-scripts.md): a step's
# ack, heavy, perspectives, intents, choice default and story; an intent's ack,
# next, perspective, keywords, means, given_by (and examples for yes/no/unsure);
# a whole intent.
OPTIONAL = re.compile(r"^(spoken_title|perspectives|steps\.\w+\.(ack|heavy|perspectives|intents|default|story)"
                      r"|steps\.\w+\.intents\.\w+(\.(ack|next|perspective|examples|keywords|means|given_by|firm))?)$")


def _mutations():
    """(file, description, path, value or DELETE) over every key of every section."""
    for f in sorted(SECTIONS.glob("*.toml")):
        doc = load_toml(f)
        for path, value in _paths(doc):
            if path[0] == "steps" and len(path) == 2 or path[-1:] == ("intents",):
                pass  # a whole table: its removal is a content change, not a typo; type-checked below
            elif not isinstance(path[-1], int):
                yield f, path, "DELETE"
            for wrong in _wrong_values(value):
                yield f, path, wrong


ALL_MUTATIONS = list(_mutations())


def _write_scripts(tmp: Path, target: Path, doc: dict) -> Path:
    d = tmp / "sections"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(SECTIONS, d)
    (d / target.name).write_text(dump_toml(doc), encoding="utf-8")
    return d


def test_dumper_round_trips_every_section(tmp_path):
    for f in sorted(SECTIONS.glob("*.toml")):
        doc = load_toml(f)
        out = tmp_path / f.name
        out.write_text(dump_toml(doc), encoding="utf-8")
        assert load_toml(out) == doc, f.name
    d = _write_scripts(tmp_path, SECTIONS / "00_introduction.toml",
                       load_toml(SECTIONS / "00_introduction.toml"))
    assert len(load_scripts(d).sections) == len(list(SECTIONS.glob("*.toml")))


def test_every_missing_or_mistyped_key_is_named(tmp_path):
    """In-process (fast): every mutation either loads (optional keys) or raises
    ContentError naming file and key -- any other exception would be a traceback."""
    assert len(ALL_MUTATIONS) > 1000
    failures, loaded, named = [], 0, 0
    cache: dict[Path, dict] = {}
    article = load_article()
    d = tmp_path / "one"
    d.mkdir()
    for f, path, value in ALL_MUTATIONS:
        doc = copy.deepcopy(cache.setdefault(f, load_toml(f)))
        _set(doc, path, delete=value == "DELETE", value=value)
        for old in d.iterdir():
            old.unlink()
        (d / f.name).write_text(dump_toml(doc), encoding="utf-8")  # a section loads on its own
        key = _dotted(path)
        try:
            load_scripts(d, article)
        except ContentError as e:
            msg = str(e)
            if f.name not in msg:
                failures.append(f"{f.name} {key}={value!r}: file not named: {msg}")
            # A wrong value: the key itself is named, or (for a list item / an
            # inner table) its parent. A removed key: a key is named (removing an
            # intent may surface where it is referred to, e.g. a choice's default).
            elif not any(f"key '{k}" in msg for k in (key, _dotted(path[:-1]))) and not (
                    value == "DELETE" and "key '" in msg):
                failures.append(f"{f.name} {key}={value!r}: key not named: {msg}")
            else:
                named += 1
            continue
        except Exception as e:  # noqa: BLE001 - exactly what must not happen
            failures.append(f"{f.name} {key}={value!r}: {type(e).__name__}: {e}")
            continue
        # It loaded: acceptable only where the key is optional and the value was removed.
        if not (value == "DELETE" and OPTIONAL.match(re.sub(r"\[\d+\]$", "", key))):
            failures.append(f"{f.name} {key}={value!r}: accepted silently")
        else:
            loaded += 1
    print(f"\n{len(ALL_MUTATIONS)} script mutations: {named} named errors, {loaded} optional keys loaded")
    assert failures == [], "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


@pytest.mark.parametrize("pick", range(12))
def test_script_errors_on_the_command_line_exit_2(tmp_path, pick):
    """A sample of the mutations through `reflect sections` and `reflect --text`."""
    rng = random.Random(1000 + pick)
    candidates = [m for m in ALL_MUTATIONS if m[2] == "DELETE"] if pick % 2 else ALL_MUTATIONS
    while True:
        f, path, value = rng.choice(candidates)
        key = _dotted(path)
        if not (value == "DELETE" and OPTIONAL.match(re.sub(r"\[\d+\]$", "", key))):
            break
    doc = load_toml(f)
    _set(doc, path, delete=value == "DELETE", value=value)
    d = _write_scripts(tmp_path, f, doc)
    for args in (("sections",), ("--text", "--data-dir", str(tmp_path / "data"))):
        r = reflect(*args, env={"REFLECT_SCRIPTS_DIR": str(d)}, stdin=b"yes\n")
        err = r.stderr.decode()
        assert r.returncode == 2, (key, value, r.returncode, err)
        assert "Traceback" not in err and f.name in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_unparsable_and_empty_script_files(tmp_path):
    for content in (b"", b"\xff\xfe\x00garbage", b"id = ", b"[steps\n", b"id = 'a'\nid = 'b'\n"):
        d = tmp_path / "sections"
        if d.exists():
            shutil.rmtree(d)
        shutil.copytree(SECTIONS, d)
        (d / "05_forgiveness.toml").write_bytes(content)
        r = reflect("sections", env={"REFLECT_SCRIPTS_DIR": str(d)})
        err = r.stderr.decode()
        assert r.returncode == 2 and "Traceback" not in err and "05_forgiveness.toml" in err, (content, err)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = reflect("sections", env={"REFLECT_SCRIPTS_DIR": str(empty)})
    assert r.returncode == 2 and "Traceback" not in r.stderr.decode() and str(empty) in r.stderr.decode(), shown(r)
    r = reflect("sections", env={"REFLECT_SCRIPTS_DIR": str(tmp_path / "does-not-exist")})
    assert r.returncode == 2 and "Traceback" not in r.stderr.decode(), shown(r)
