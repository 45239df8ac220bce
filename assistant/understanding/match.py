"""What understanding returns (a Match), and the thresholds every matcher shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.content.words import ANSWERS

NONE = "none"
SLOT = "{section}"
SLOT_TOKEN = "xsectionx"  # a token that cannot occur in speech
COMMANDS = (
    "pause", "resume", "repeat", "next", "back", "read_section", "goto_section",
    "stop_reading", "slower", "faster", "help", "where_am_i", "list_sections",
    "quit", *ANSWERS, "perspective", "delete_journal",
)
SECTION_INTENTS = ("read_section", "goto_section")

# Whole-utterance command matching: at or above ACCEPT is taken, between
# CONFIRM and ACCEPT is asked back ("did you mean ...?").
ACCEPT = 75.0
CONFIRM = 65.0
# Step intents (content answers) may be embedded in a longer answer.
STEP_ACCEPT = 78.0
# A step's own answer wins over a global command that scores up to this much
# higher: at a question, an answer is the likelier reading.
STEP_SLACK = 5.0


@dataclass
class Match:
    intent: str
    score: float
    section: str | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "intent": self.intent,
            "score": round(max(0.0, self.score), 1),
            "section": self.section,
            "alternatives": [{"intent": i, "score": round(s, 1)} for i, s in self.alternatives],
        }
