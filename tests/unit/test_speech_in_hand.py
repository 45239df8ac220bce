"""When speech may start: the pieces made so far must cover the making of the rest."""

from assistant.voice.speaking import MARGIN, RTF_FLOOR, enough_in_hand


class _Cache:
    def __init__(self, cached=()):
        self._cached = set(cached)

    def cached(self, text, pause):
        return text in self._cached


NEXT = [("Together we'll walk through the article Trust in Relationships, by Sarah M.", 0.2)]


def test_a_short_first_sentence_covers_a_long_second_at_the_usual_speed():
    # "Welcome to Reflect." spoken in 1.25 s, 0.2 s of pause after it.
    assert enough_in_hand(1.45, 1.25 / 3, NEXT, rtf=0.1, tts=_Cache())


def test_slow_making_or_too_little_in_hand_waits_for_the_next_piece():
    assert not enough_in_hand(1.45, 1.25 / 3, NEXT, rtf=0.5, tts=_Cache())
    assert not enough_in_hand(0.5, 0.4, NEXT, rtf=0.1, tts=_Cache())


def test_the_rate_is_never_taken_below_its_floor_and_cached_pieces_cost_nothing():
    seconds = 12 * 0.4
    just_short = seconds * RTF_FLOOR + MARGIN - 0.01
    assert not enough_in_hand(just_short, 0.4, NEXT, rtf=0.0, tts=_Cache())
    assert enough_in_hand(just_short, 0.4, NEXT, rtf=0.0, tts=_Cache([NEXT[0][0]]))
