"""The modes the dialog engine can be in, and the answers every question takes.

Modes are not persisted, except through the flags of Progress (paused,
reading, finished).
"""

from assistant.content.words import ANSWERS  # noqa: F401  (yes, no, unsure: content/words.toml)

STEP, READING, READING_STOPPED, PAUSED, WELCOME_BACK, CONFIRM_INTENT = (
    "step", "reading", "reading_stopped", "paused", "welcome_back", "confirm")
CONFIRM_DELETE, HEAVY_OFFER, FINISHED, CHOOSING, CONFIRM_QUIT, SAFETY_CHECK = (
    "confirm_delete", "heavy_offer", "finished", "choosing", "confirm_quit", "safety_check")
