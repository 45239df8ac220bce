"""The labelled sets under data/: each one where reflectkit/data.py says, and
each one in data/MANIFEST.md."""

from __future__ import annotations

from reflectkit import data


def test_every_safety_set_is_in_its_role_folder():
    groups = {data.DEVELOPMENT: data.SAFETY_DEVELOPMENT, data.TRAINING: data.SAFETY_TRAINING,
              data.CALIBRATION: data.SAFETY_CALIBRATION, data.HELDOUT: data.SAFETY_HELDOUT}
    names = [n for g in groups.values() for n in g]
    assert len(names) == len(set(names)), "a safety set has two roles"
    for folder, group in groups.items():
        for name in group:
            assert data.safety_dir(name) == folder / name
            assert all(f.is_file() for f in data.safety_files(name)), name
    assert data.SAFETY_EXTRA_NEGATIVE.is_file()


def test_every_other_set_is_present():
    files = [*data.NLU_OUT_OF_SCOPE_FILES, *data.NLU_LABELLED_FILES]
    assert len(files) == len(set(files))
    for f in files:
        assert f.is_file(), f
    for name in data.HEARING_SETS + data.HEARING_HELDOUT_SETS:
        assert (data.hearing_dir(name) / "commands.tsv").is_file(), name
    assert sorted(p.stem for p in data.PERSPECTIVES.glob("*.jsonl")) == ["both", "hurt", "hurter", "reflect"]


def test_the_manifest_lists_every_set():
    manifest = (data.DATA / "MANIFEST.md").read_text(encoding="utf-8")
    for role, folder in data.ROLES.items():
        for entry in sorted(folder.iterdir()):
            inner = [entry] if entry.name != "hearing" else sorted(p for p in entry.iterdir() if p.is_dir())
            for item in inner:
                path = item.relative_to(data.DATA).as_posix()
                assert f"`{path}" in manifest, f"{path} is not in data/MANIFEST.md"
                rows = [line for line in manifest.splitlines() if line.startswith(f"| `{path}")]
                assert rows and all(f"| {role}" in row for row in rows), f"{path}: role is not {role}"
