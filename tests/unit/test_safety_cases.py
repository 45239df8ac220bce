"""The safety net on hand-written cases (reflectkit/safety_cases.py): new
wording, danger by category, ordinary hurt, the rules alone; the layers'
names, the reply text, and the rule file's validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.content.files import ContentError
from assistant.safety.rules import load_safety
from reflectkit.safety_cases import (
    DANGER,
    ORDINARY,
    PROBES,
    RULES_DANGER,
    RULES_ORDINARY,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def net():
    return load_safety()


@pytest.mark.parametrize("text", PROBES)
def test_new_wording_is_caught(net, text):
    assert net.check(text) is not None, f"missed: {text!r}"


def test_weak_tier_needs_two_distinct_signals(net):
    long = ("so it started small he would check my phone and then he stopped me working "
            "and now i do not have any money and i just know i will pay for it later")
    hit = net.check(long)
    assert hit.category == "fear" and hit.layer == "weak" and hit.pattern.startswith("weak ")
    # One signal alone, or two phrasings of the same signal, stay quiet.
    assert net.check("he checks my phone sometimes and it makes me sad") is None
    assert net.check("i'm sorry for everything, please forgive me") is None


def test_cooccur_layer_names_its_rule(net):
    hit = net.check("i looked up how many of my sleeping tablets it would take")
    assert hit.category == "suicide" and hit.layer == "cooccur" and hit.pattern.startswith("cooccur ")
    # The same words without a sign of danger stay quiet.
    assert net.check("my doctor prescribed me sleeping tablets for a few weeks") is None




@pytest.mark.parametrize(
    "category,text", [(c, t) for c, ts in DANGER.items() for t in ts], ids=lambda v: v[:40] if isinstance(v, str) else v
)
def test_danger_is_caught(net, category, text):
    hit = net.check(text)
    assert hit is not None, f"missed: {text!r}"
    assert hit.category in DANGER or hit.category == "harm_to_others"


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_hurt_is_not_an_alarm(net, text):
    hit = net.check(text)
    assert hit is None, f"false alarm on {text!r}: {hit}"


def test_fear_of_going_home_to_him_is_asked_about_not_stopped():
    """Was in ORDINARY (fear of a hard talk) until the first layer with a
    fine-tuned encoder scored it 0.98. Fear of going home to a partner is also how danger is
    told, so a check-in is the right reply: only the layer fires, and a
    layer-only hit asks "are you safe?" rather than stopping (Engine._safety_check)."""
    hit = load_safety().check("i'm scared to go home and face him after the fight")
    assert hit is not None and hit.layer == "model"


def test_hit_names_category_and_rule(net):
    hit = net.check("he choked me last night")
    assert hit.category == "violence" and hit.layer == "pattern" and hit.pattern
    hit = net.check("last time i tried to leave he hurt me badly")
    assert hit.category == "violence" and hit.layer == "scorer" and hit.pattern.startswith("score ")


def test_normalises_recogniser_text(net):
    assert net.normalise("Um, I DON'T want to… be here") == "i do not want to be here"
    assert net.normalise("im scared hell hurt me") == "i am scared he will hurt me"
    assert net.normalise("its been hell") == "its been hell"
    assert net.check("") is None and net.check("   ") is None


def test_reply_is_short_caring_and_points_to_help(net):
    reply = net.reply
    for key in ("say", "help", "offer"):
        assert len(reply[key]) >= 2, key
        for text in reply[key]:
            for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
                assert len(sentence.split()) < 25, sentence
    helps = " ".join(reply["help"]).lower()
    for h in reply["help"]:
        assert "can't help" in h.lower() or "not able to help" in h.lower()
        assert "emergency" in h.lower()
    assert "crisis line" in helps and "trust" in helps
    assert all("pause" in o.lower() for o in reply["offer"])


def test_bad_rules_are_reported_with_file_and_key(tmp_path):
    src = (ROOT / "assistant" / "content" / "safety.toml").read_text(encoding="utf-8")
    bad = tmp_path / "safety.toml"
    bad.write_text(src.replace("[patterns]\nsuicide = [", "[patterns]\nsuicide = [\n  \"{nosuchclass}\",", 1))
    with pytest.raises(ContentError, match=r"patterns\.suicide\[0\].*nosuchclass"):
        load_safety(bad)
    bad.write_text(src.replace("[patterns]\nsuicide = [", "[patterns]\nsuicide = [\n  \"(unclosed\",", 1))
    with pytest.raises(ContentError, match=r"patterns\.suicide\[0\].*bad pattern"):
        load_safety(bad)
    bad.write_text(src + "\n[[cooccur]]\ncategory = \"fear\"\nall = ['{nosuchclass}']\n")
    with pytest.raises(ContentError, match=r"cooccur\[\d+\]\.all\[0\].*nosuchclass"):
        load_safety(bad)
    bad.write_text(src + "\n[[cooccur]]\ncategory = \"fear\"\n")
    with pytest.raises(ContentError, match=r"cooccur\[\d+\].*non-empty 'all'"):
        load_safety(bad)




@pytest.fixture(scope="module")
def rules_net():
    import inspect
    kw = {"model": False} if "model" in inspect.signature(load_safety).parameters else {}
    return load_safety(**kw)


@pytest.mark.parametrize("text", RULES_DANGER)
def test_danger_is_caught_by_the_rules_alone(rules_net, text):
    assert rules_net.check(text) is not None, f"missed: {text!r}"


@pytest.mark.parametrize("text", RULES_ORDINARY)
def test_ordinary_is_quiet_for_the_rules_alone(rules_net, text):
    hit = rules_net.check(text)
    assert hit is None, f"false alarm on {text!r}: {hit}"
