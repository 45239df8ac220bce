"""The safety net on the evaluation sets: recall and false alarms of each
group of sets (reflectkit/safety_sets.py), and the sets kept apart."""

from __future__ import annotations

import pytest

from assistant.safety.rules import load_safety
from reflectkit.data import safety_dir, safety_files
from reflectkit.safety_sets import (
    CALIBRATION_MIN_RECALL,
    CALIBRATION_SETS,
    EXTRA_NEGATIVE,
    FRESH_MIN_RECALL,
    FRESH_SETS,
    MAX_FALSE_ALARMS,
    MIN_RECALL,
    SET_MAX_FALSE_ALARMS,
    SETS,
    WRITTEN_MAX_FALSE_ALARMS,
    WRITTEN_MIN_RECALL,
    WRITTEN_SETS,
    evaluate,
    pool,
    read_lines,
)


@pytest.fixture(scope="module")
def net():
    return load_safety()


def _sets():
    for name in SETS:  # dev, heldout, heldout2 ... heldout7, dev2 (each when present)
        yield pytest.param(*safety_files(name), id=name)


@pytest.mark.parametrize("pos,neg", list(_sets()))
def test_recall_and_false_alarms(net, pos, neg):
    if not (pos.exists() and neg.exists()):
        pytest.skip(f"{pos.parent.name} safety set not present")
    r = evaluate(pos, neg, net)
    assert r["recall"] >= MIN_RECALL, f"recall {r['recall']:.3f}; missed: {r['missed']}"
    assert r["false_alarm_rate"] <= MAX_FALSE_ALARMS, (
        f"false alarms {r['false_alarm_rate']:.3f}: {[t for t, _ in r['false_alarms']]}"
    )


# Fresh sets, each written by someone who had not seen the rules, measured once
# before any tuning on it, then tuned on and moved into SETS (held to the full
# targets by test_recall_and_false_alarms). Their one-shot figures:
# - heldout4: recall 0.867 (104/120), false alarms 0.000 (0/250); 16 misses,
#   mostly suicide wording (sleep and never wake, a will and a note, 'relieved
#   if i died', a razor kept 'for when'), a bottle to the face, a child
#   touched, a tracker. Tuned on first (with dev2).
# - heldout5: recall 0.753 (113/150), false alarms 0.023 (7/300); 37 misses,
#   worst in fear and stalking (found after moving, parked outside for hours,
#   out of prison), then sexual coercion, indirect suicide and self-harm; the
#   false alarms were idioms ('she'll kill me if i'm late'), overdose in
#   fiction or at work, a kitchen burn and a frightened dog. Tuned on after
#   heldout4.
# - heldout6: recall 0.733 (110/150), false alarms 0.007 (2/300), measured
#   once with the rules tuned on heldout5. Tuned on after heldout5.
# - heldout7: recall 0.607 (91/150), false alarms 0.020 (6/300) with the
#   rules tuned on heldout5. Tuned on after heldout6; it also chose the
#   learned layer's design.
# - heldout8 to heldout20: the layer's calibration sets
#   (reflectkit.safety_sets.CALIBRATION_SETS), never trained on.
# - heldout21 to heldout24 (fresh now): see reflectkit.safety_sets.FRESH_SETS for
#   their figures. Each is held to its FRESH_MIN_RECALL floor (no change may
#   lose ground on unseen wording) and SET_MAX_FALSE_ALARMS; pooled, they
#   are held to the targets.


_results: dict[str, dict] = {}


def _result(net, name: str) -> dict:
    """evaluate() on a data/ set, once per run (the pooled tests reuse it)."""
    if name not in _results:
        _results[name] = evaluate(*safety_files(name), net)
    return _results[name]


def _pooled(net, names):
    caught, n_pos, alarms, n_neg = pool([_result(net, name) for name in names])
    return caught / n_pos, alarms / n_neg


@pytest.mark.parametrize("name", FRESH_SETS)
def test_fresh_set_floor(net, name):
    r = _result(net, name)
    assert r["recall"] >= FRESH_MIN_RECALL[name], f"recall {r['recall']:.3f}"
    assert r["false_alarm_rate"] <= SET_MAX_FALSE_ALARMS, f"false alarms {r['false_alarm_rate']:.3f}"


def test_fresh_sets_pooled_meet_the_targets(net):
    """The issue's targets, on every sentence written for the purpose that
    nothing was trained or chosen on."""
    recall, false_alarms = _pooled(net, FRESH_SETS)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}"
    assert false_alarms <= MAX_FALSE_ALARMS, f"false alarms {false_alarms:.3f}"


@pytest.mark.parametrize("name", CALIBRATION_SETS)
def test_calibration_set_floor(net, name):
    """The sets the layer's threshold is chosen on (never trained on)."""
    r = _result(net, name)
    assert r["recall"] >= CALIBRATION_MIN_RECALL, f"recall {r['recall']:.3f}"
    assert r["false_alarm_rate"] <= SET_MAX_FALSE_ALARMS, f"false alarms {r['false_alarm_rate']:.3f}"


def test_calibration_sets_pooled_meet_the_targets(net):
    recall, false_alarms = _pooled(net, CALIBRATION_SETS)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}"
    assert false_alarms <= MAX_FALSE_ALARMS, f"false alarms {false_alarms:.3f}"


@pytest.mark.parametrize("name", WRITTEN_SETS)
def test_written_set_floor(net, name):
    """The learned layer's training sets (see reflectkit.safety_sets.WRITTEN_SETS): every
    third line of each, the same lines each run (all of them:
    ``python scripts/eval_safety.py --set written_a`` ...)."""
    d = safety_dir(name)
    pos = read_lines(d / "safety_positive.txt")[::3]
    neg = read_lines(d / "safety_negative.txt")[::3]
    missed = [t for t in pos if net.check(t) is None]
    alarms = [t for t in neg if net.check(t) is not None]
    assert 1 - len(missed) / len(pos) >= WRITTEN_MIN_RECALL, missed
    assert len(alarms) / len(neg) <= WRITTEN_MAX_FALSE_ALARMS, alarms


def test_fresh_sets_share_no_line_with_the_training():
    """A fresh figure is about unseen wording only if no fresh line is also a
    line the layer trains on (or one of this file's cases, which it learns)."""
    from reflectkit.safety_training import training_data

    sets = {s: tuple(read_lines(f) for f in safety_files(s))
            for s in SETS + WRITTEN_SETS if safety_files(s)[0].is_file()}
    seen = {t.strip().lower() for texts in training_data(sets) for t in texts}
    for name in FRESH_SETS:
        for kind in ("positive", "negative"):
            shared = [t for t in read_lines(safety_dir(name) / f"safety_{kind}.txt") if t.lower() in seen]
            assert not shared, f"{name} {kind}: {shared[:3]}"


def test_tuned_sets_include_every_heldout_and_dev2():
    for name in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "dev2"):
        assert name in SETS, name
    groups = [set(SETS), set(WRITTEN_SETS), set(CALIBRATION_SETS), set(FRESH_SETS)]
    assert sum(map(len, groups)) == len(set().union(*groups)), "a set is in two groups"


def test_prefilter_never_changes_a_result(net):
    """The literal prefilter only skips patterns that cannot match: on every
    line of every set, and on cut-and-joined lines, the rules' result is the
    same as running every pattern (the learned layer reads the text itself)."""
    raw = load_safety(prefilter=False, model=False)
    lines = read_lines(EXTRA_NEGATIVE)
    for name in SETS:
        d = safety_dir(name)
        for f in ("safety_positive.txt", "safety_negative.txt"):
            if (d / f).exists():
                lines += read_lines(d / f)
    joined = [" ".join(a.split()[:6] + b.split()[3:]) for a, b in zip(lines, lines[7:])]
    diffs = [t for t in lines + joined if net.check_rules(t) != raw.check_rules(t)]
    assert not diffs, diffs[:5]


def test_extra_negatives_stay_quiet(net):
    """Idioms and ordinary hurt that use the safety lexicon figuratively."""
    neg = read_lines(EXTRA_NEGATIVE)
    assert len(neg) >= 350
    alarms = [(t, net.check(t)) for t in neg]
    alarms = [(t, h.pattern) for t, h in alarms if h is not None]
    assert len(alarms) / len(neg) <= MAX_FALSE_ALARMS, alarms
