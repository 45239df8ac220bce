"""Where the labelled sets live, and which role each one has.

Every labelled set is under ``data/``, in a folder named for its role
(``data/MANIFEST.md`` lists them, with who wrote each and when it was first
measured):

- ``training/``: what the shipped safety layer is trained on and nothing
  else was tuned on (the written sets);
- ``calibration/``: never trained on; the safety layer's threshold and veto
  are chosen on them;
- ``development/``: sets the rules, keywords and phrases were tuned on (the
  safety layer also trains on the safety ones);
- ``heldout/``: measured, never tuned on.

A set keeps its own folder name inside its role folder. When a set changes
role (a fresh set is tuned on), its folder moves and its name moves between
the tuples below.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TRAINING = DATA / "training"
CALIBRATION = DATA / "calibration"
DEVELOPMENT = DATA / "development"
HELDOUT = DATA / "heldout"
ROLES = {"training": TRAINING, "calibration": CALIBRATION, "development": DEVELOPMENT, "heldout": HELDOUT}

# Safety sets (safety_positive.txt, safety_negative.txt), by role.
SAFETY_DEVELOPMENT = ("dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
                      "dev2")
"""The rules were tuned on them (safety_sets.SETS); the layer trains on them."""
SAFETY_TRAINING = tuple(f"written_{c}" for c in "abcdefghijklmnopqrstuvwxyz")
"""The layer's training sets (safety_sets.WRITTEN_SETS); the rules were never tuned on them."""
SAFETY_CALIBRATION = tuple(f"heldout{n}" for n in range(8, 21))
"""The layer's threshold is chosen on them (safety_sets.CALIBRATION_SETS); never trained on."""
SAFETY_HELDOUT = ("heldout21", "heldout22", "heldout23", "heldout24")
"""Fresh: measured once, never tuned or chosen on (safety_sets.FRESH_SETS)."""
SAFETY_EXTRA_NEGATIVE = DEVELOPMENT / "safety_extra_negative.txt"
"""Harmless sentences that use the safety lexicon figuratively: the rules were
checked against them round by round; the layer trains on them."""

_SAFETY_ROLE = {**{s: DEVELOPMENT for s in SAFETY_DEVELOPMENT}, **{s: TRAINING for s in SAFETY_TRAINING},
                **{s: CALIBRATION for s in SAFETY_CALIBRATION}, **{s: HELDOUT for s in SAFETY_HELDOUT}}


def safety_dir(name: str) -> Path:
    """The folder of the safety set ``name`` (e.g. ``heldout21``): by its role,
    or, for a name in no role above, the role folder that holds its files."""
    if name in _SAFETY_ROLE:
        return _SAFETY_ROLE[name] / name
    for folder in ROLES.values():
        if (folder / name / "safety_positive.txt").is_file():
            return folder / name
    return DEVELOPMENT / name


def safety_files(name: str) -> tuple[Path, Path]:
    """(positives, negatives) of the safety set ``name``."""
    d = safety_dir(name)
    return d / "safety_positive.txt", d / "safety_negative.txt"


# Understanding sets (reflect nlu --eval FILE): commands.tsv-style rows
# (intent, section, text) or one answer a line (expected intent: none).
NLU_DEV = DEVELOPMENT / "dev"
"""command_paraphrases.tsv, out_of_scope.txt, step_answers.tsv: the phrases
and keywords were written and tuned against them."""
NLU_COMMAND_PARAPHRASES = DEVELOPMENT / "heldout" / "command_paraphrases.tsv"
"""Written as held out; docs/understanding.md counts it as development since
understanding by meaning (kept as development: see data/MANIFEST.md)."""
NLU_OUT_OF_SCOPE = HELDOUT / "heldout" / "out_of_scope.txt"
"""Answers that are not commands, never tuned on."""
NLU_STEP_ANSWERS_EARLIER = DEVELOPMENT / "heldout" / "step_answers.tsv"
"""Held out until its first measurement (94.4 %), tuned on since."""
NLU_STEP_ANSWERS = HELDOUT / "heldout2" / "step_answers.tsv"
"""Answers to reflection questions, never tuned on."""
NLU_OUT_OF_SCOPE_FILES = (NLU_DEV / "out_of_scope.txt", NLU_OUT_OF_SCOPE)
NLU_LABELLED_FILES = (NLU_DEV / "command_paraphrases.tsv", NLU_DEV / "step_answers.tsv",
                      NLU_COMMAND_PARAPHRASES, NLU_STEP_ANSWERS_EARLIER, NLU_STEP_ANSWERS)
"""Every understanding file, in a fixed order: the safety layer takes their
texts as harmless sentences (train_safety_model.nlu_negatives)."""

# Hearing sets (scripts/bench_hearing.py --set NAME): commands.tsv,
# answers.txt, not_commands.txt.
HEARING = DEVELOPMENT / "hearing"
HEARING_SETS = ("dev", "fresh", "fresh2", "fresh3", "fresh4", "fresh5")
"""Measured and tuned on."""
HEARING_HELDOUT = HELDOUT / "hearing"
HEARING_HELDOUT_SETS: tuple[str, ...] = ("fresh6",)
"""Not yet measured: measured once, with everything final."""


def hearing_dir(name: str) -> Path:
    """The folder of the hearing set ``name``, by its role."""
    return (HEARING_HELDOUT if name in HEARING_HELDOUT_SETS else HEARING) / name

# Who is speaking (scripts/eval_perspectives.py): one file per perspective,
# each person marked split "dev" (tuned on) or "fresh" (not yet measured).
PERSPECTIVES = DEVELOPMENT / "perspectives"
PERSPECTIVES_EARLIER = DEVELOPMENT / "perspectives2"
"""48 more people in the same form, held out until measured once; read since."""
PERSPECTIVES_HELDOUT = HELDOUT / "perspectives3"
"""48 more people in the same form, every one "fresh": not yet measured."""
PERSPECTIVE_TRAINING = TRAINING / "perspectives"
"""openings*.tsv (what people say when asked which situation fits them) and
corrections.tsv (what they say when it was taken wrongly), written for
training the perspective reader (scripts/train_reader.py perspective) only."""
STEP_ANSWER_TRAINING = TRAINING / "step_answers"
"""answers_*.tsv: answers to the yes/no reflection questions, each labelled
yes, no, unsure or other, written for training the gist reader
(scripts/train_reader.py gist) only."""
COMMAND_TRAINING = TRAINING / "commands"
"""commands_*.tsv (intent, section, text): commands in natural wording and
answers full of command words (intent none), written for training the
command reader (scripts/train_reader.py command) only."""
SESSIONS = DEVELOPMENT / "sessions"
"""personas.jsonl: people who answer every question of a whole session
(scripts/transcripts.py writes their sessions to docs/transcripts/)."""
