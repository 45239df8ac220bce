"""The safety sets by group, the targets each group is held to, and how a
set is measured: shared by scripts/eval_safety.py, scripts/train_safety_model.py
and the safety tests. Where each set lives: reflectkit/data.py."""

from __future__ import annotations

from pathlib import Path

from reflectkit.data import (
    SAFETY_CALIBRATION,
    SAFETY_DEVELOPMENT,
    SAFETY_EXTRA_NEGATIVE,
    SAFETY_HELDOUT,
    SAFETY_TRAINING,
)

MIN_RECALL = 0.95
MAX_FALSE_ALARMS = 0.02
SETS = SAFETY_DEVELOPMENT
"""Sets the rules were tuned on (data/development/): held to the full
targets. Each heldout set from heldout4 on was fresh once (written by
someone who had not seen the rules) and measured once before any tuning on it; its one-shot figures:
  heldout4  recall 0.867 (104/120), false alarms 0.000 (0/250)
  heldout5  recall 0.753 (113/150), false alarms 0.023 (7/300)
  heldout6  recall 0.733 (110/150), false alarms 0.007 (2/300), measured
            with the rules tuned on heldout5 (the rules before them: 0.62, 0.013)
  heldout7  recall 0.607 (91/150), false alarms 0.020 (6/300), measured
            with the rules tuned on heldout5 (on heldout6: 0.627, 0.020)
The rules were tuned on heldout4, heldout5, heldout6 and heldout7 in turn,
each set after the one before (heldout7 also chose the learned backstop's
design). dev2 is the rules' own brainstorm, each batch written before the
rules it probed (the batch for heldout4's rules 0.384, its second round
0.508; the batch for heldout5's 16/51)."""
WRITTEN_SETS = SAFETY_TRAINING
"""Training sets for the learned layer (data/training/), each written by a
helper who saw no rules and no other set, to one brief (hard, indirect
danger; near misses), each with a focus: a suicide and self-harm, b abuse and coercion, c fear and
danger inside trust answers, d speakers others forget, e danger without
danger words, f answers to the reflection questions (for the first layer); g denials
and reassurance, h danger without danger words, i physical words with two
meanings, j coercion and control against ordinary disagreement, k speakers
others forget and long answers, l answers to the reflection questions
(for the second); m physical violence in everyday words, n suicide told
indirectly (farewells, giving things away), o fear and coercive control in
everyday details, p danger inside answers to the reflection questions,
q sexual coercion, r the speaker's own intent to harm, s danger minimised,
joked about or in disfluent speech, t short utterances and minimal pairs,
u passive suicidal thoughts against low mood, v stalking, technology,
children and pets; w idioms with danger words, x harmless uses of means of
harm, y ordinary fear and endings, z the ordinary aftermath of betrayal
(for the current layer; the briefs of w-z were drawn from the false alarms seen on
heldout13-20, so those calibration sets are less independent of the second
training than heldout8-12). The rules were never tuned on them. Lines equal
to a line of a calibration or fresh set were left out of m-z.
Before any training on them (recall / false alarms, rules + the layer of the time):
  the first layer:   a 0.782 / 0.052  b 0.702 / 0.047  c 0.776 / 0.048
                     d 0.771 / 0.037  e 0.596 / 0.044  f 0.639 / 0.016
  its retraining:    g 0.889 / 0.118  h 0.642 / 0.010  i 0.787 / 0.017
                     j 0.751 / 0.014  k 0.891 / 0.017  l 0.766 / 0.006
  the first fine-tuned encoder, unseen (d, h, l were its calibration sets):
                     d 0.887 / 0.023  h 0.814 / 0.024  l 0.918 / 0.013"""
WRITTEN_MIN_RECALL = 0.90
"""A floor under every written set's recall, with WRITTEN_MAX_FALSE_ALARMS:
these are near misses made to fool a check, and the layer trains on them
(the current layer: recall 0.929-0.998, false alarms 0.000-0.017)."""
WRITTEN_MAX_FALSE_ALARMS = 0.03
CALIBRATION_SETS: tuple[str, ...] = SAFETY_CALIBRATION
"""Sets written for the purpose (data/calibration/), to the brief of the
fresh sets, by helpers who had not seen the rules or any other set. The
layer never trains on them; its threshold and veto are chosen on them
(train_safety_model.py), so their figures are unseen by the network but not
by the threshold. Earlier, while
they were fresh (rules + layer, recall / false alarms, aggregates only):
  heldout8  measured once with the rules tuned on heldout7 and the layer's
            first training (4bcbeff): 0.847 / 0.013, rules alone
            0.767 / 0.003. Its retraining: 0.780 / 0.007.
  heldout9, heldout10  written with the retraining, to the written sets'
            brief. The first layer 0.840 / 0.027 and 0.807 / 0.020; its
            retraining 0.827 / 0.000 and 0.800 / 0.007.
  heldout11, heldout12  written with the first fine-tuned encoder, to the
            same brief. A candidate of it (1.5 epochs) 0.880 / 0.013,
            0.880 / 0.010; the shipped one 0.940 / 0.000 each.
  The first fine-tuned encoder on heldout8-10: 0.920 / 0.007, 0.913 / 0.007,
  0.907 / 0.003 (and two candidates before it).
  heldout13-16  written for the current layer by four helpers who saw nothing else,
            to a new brief (the five kinds of danger the issue names; hard
            near misses sharing danger words); lines equal to a training line
            left out. Measured once, with the network trained on every
            written set and a threshold (0.612, veto 0.005) chosen on
            heldout8-12 alone at 1 % false alarms: 0.986 / 0.031,
            1.000 / 0.020, 0.987 / 0.041, 0.993 / 0.027; pooled 0.991
            (580/585) / 0.030 (35/1175), above the false-alarm target.
            Then they joined the calibration sets, and the threshold and
            veto were chosen again on all nine (0.912, 0.02).
  heldout17-20  written to the same brief by four more helpers, measured
            once with that network and threshold: 0.979 / 0.000,
            0.993 / 0.038, 0.973 / 0.021, 0.973 / 0.021; pooled 0.980
            (577/589) / 0.020 (23/1160). Their false alarms and heldout13-16's
            were read and briefed the written sets w-z; then they joined
            the calibration sets, and the network was trained again.
heldout8-12 became calibration sets first, then heldout13-16, then 17-20."""
CALIBRATION_MIN_RECALL = 0.93
"""A floor under each calibration set's recall; the target is 0.95."""
FRESH_SETS: tuple[str, ...] = SAFETY_HELDOUT
"""Sets written for the purpose (data/heldout/) by helpers who had not seen
the rules, any other set or the code (heldout13-16's brief),
with lines equal to a training line left out. Never trained on, never used to
choose anything: held to the targets, with a recall floor just under their
figure when the net was last final, so that no change loses ground on
unseen wording unnoticed. Once tuned on, a set moves to SETS (and its
folder to data/development/; reflectkit/data.py).
  heldout21-24  written to heldout13-16's brief by four more helpers told
            not even to list the other folders; measured once, with the
            network trained on written_a-z and the threshold (0.937, veto
            0.05) chosen on heldout8-20 at 1 % false alarms: 0.959 / 0.020,
            0.945 / 0.007, 0.947 / 0.014, 0.987 / 0.003; pooled 0.960
            (569/593) / 0.011 (13/1154)."""
SET_MAX_FALSE_ALARMS = 0.04
"""A ceiling over each calibration and fresh set's false alarms. The 2 %
target is held over each group pooled (about 1,200-2,700 harmless lines):
one set of about 290 scatters by a point or two (heldout18 with the
threshold of the time: 11 of 289)."""
FRESH_MIN_RECALL = {"heldout21": 0.94, "heldout22": 0.93, "heldout23": 0.93, "heldout24": 0.97}
"""Floors about a point under the fresh figures (the pooled targets are
tested too)."""
EXTRA_NEGATIVE = SAFETY_EXTRA_NEGATIVE


def read_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def evaluate(pos_file: Path, neg_file: Path, net=None) -> dict:
    if net is None:
        from assistant.safety.rules import load_safety

        net = load_safety()
    pos, neg = read_lines(pos_file), read_lines(neg_file)
    missed = [t for t in pos if net.check(t) is None]
    alarms = [(t, net.check(t)) for t in neg]
    alarms = [(t, h) for t, h in alarms if h is not None]
    return {
        "n_pos": len(pos),
        "n_neg": len(neg),
        "recall": (len(pos) - len(missed)) / len(pos) if pos else 1.0,
        "false_alarm_rate": len(alarms) / len(neg) if neg else 0.0,
        "missed": missed,
        "false_alarms": alarms,
    }


def pool(results: list[dict]) -> tuple[int, int, int, int]:
    """(danger caught, danger statements, false alarms, harmless sentences)
    summed over evaluate() results."""
    return (sum(r["n_pos"] - len(r["missed"]) for r in results), sum(r["n_pos"] for r in results),
            sum(len(r["false_alarms"]) for r in results), sum(r["n_neg"] for r in results))
