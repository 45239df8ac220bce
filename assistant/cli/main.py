"""`reflect`: the command line. Thin: it wires content, store and drivers."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from assistant import __version__, models_loaded
from assistant.cli.options import EXIT_BAD_FILE, EXIT_ERROR, EXIT_NO_AUDIO, EXIT_OK, add_voice_options  # noqa: F401
from assistant.content.files import ContentError
from assistant.storage.store import Store, StoreError



def _voice_cli():
    """The voice adapters, imported only when needed (text mode stays light)."""
    from assistant.cli import voice as voice_cli

    return voice_cli


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reflect",
        description="Reflect: a voice-guided reflection on the article 'Trust in Relationships' "
                    "by Sarah M. Runs offline. With no subcommand it starts a spoken session.",
    )
    p.add_argument("--version", action="version", version=f"reflect {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                        help="where progress and journal are kept (default: $REFLECT_HOME or "
                             "~/.local/share/reflect)")
    p.add_argument("--data-dir", metavar="DIR", type=Path, default=None,
                   help="where progress and journal are kept (default: $REFLECT_HOME or "
                        "~/.local/share/reflect)")
    p.add_argument("--text", action="store_true",
                   help="type instead of speaking: read answers from standard input, print replies")
    p.add_argument("--region", metavar="CODE", default=None,
                   help="whose crisis lines to name if you are in danger: US, CA, UK, IE, AU or INTL "
                        "(default: $REFLECT_REGION, else from the system locale, else INTL)")
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    add_voice_options(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("sections", parents=[common], help="list the article's sections and their reflection prompts")
    s.add_argument("--json", action="store_true", help="machine-readable output")

    n = sub.add_parser("nlu", parents=[common], help="show how an utterance is understood (intent, section, safety)")
    n.add_argument("utterance", nargs="?", help="text to understand; without it, one per line from stdin")
    n.add_argument("--json", action="store_true", help="one JSON object per utterance")
    n.add_argument("--eval", metavar="FILE", type=Path,
                   help="evaluate a TSV file (columns intent, section, text[, step]): "
                        "per-intent precision and recall")

    st = sub.add_parser("status", parents=[common], help="where the reflection stands")
    st.add_argument("--json", action="store_true")

    j = sub.add_parser("journal", parents=[common], help="show, export or delete your journal")
    j.add_argument("--json", action="store_true", help="print as JSON")
    j.add_argument("--export", metavar="FILE.md", type=Path, help="write the journal as Markdown")
    j.add_argument("--delete", action="store_true", help="delete the journal (asks to confirm)")
    j.add_argument("--yes", action="store_true", help="with --delete: do not ask")

    _register_voice_commands(sub)
    p.set_defaults(common_parser=common)
    return p


def _register_voice_commands(sub) -> None:
    """`devices`, `model`, `doctor`, `read`, `voices` and `hear`."""
    from assistant.cli import hear as hear_cli
    from assistant.cli import speech as speech_cli
    from assistant.cli.doctor import cmd_doctor

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS)
    _voice_cli().register_devices(sub, common)
    doc = sub.add_parser("doctor", parents=[common], help="check speech, audio and models")
    add_voice_options(doc)
    doc.set_defaults(func=cmd_doctor)
    speech_cli.register(sub, common)
    hear_cli.register(sub, common)
    _voice_cli().register_model(sub, common)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)  # (the parser imports content: words.toml)
        return _dispatch(args)
    except ContentError as e:
        print(f"reflect: {e}", file=sys.stderr)
        return EXIT_BAD_FILE
    except StoreError as e:
        print(f"reflect: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("\nreflect: stopped. Your place is saved.", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "sections":
        return cmd_sections(args)
    if cmd == "nlu":
        return cmd_nlu(args)
    if cmd == "status":
        return cmd_status(args)
    if cmd == "journal":
        return cmd_journal(args)
    if cmd is not None:
        return args.func(args)
    return cmd_session(args)


# ------------------------------------------------------------------ session
def cmd_session(args: argparse.Namespace) -> int:
    from assistant.dialog.session import load_content, new_engine

    if not args.text:
        _voice_cli().preload_voice(args)  # the voice loads while the content does
    content = load_content(background=not args.text)
    store = Store(args.data_dir)
    progress = store.load_progress()
    journal = store.load_journal()  # repairs a damaged journal up front, with a notice
    for notice in store.notices:
        print(f"reflect: {notice}", file=sys.stderr)
    if args.text:
        _report_safety(content)
        models_loaded()  # all loaded: the encoder's temporaries now come from the heap
    else:  # once the net is loaded, behind the welcome
        import threading

        threading.Thread(target=_report_safety, args=(content,), daemon=True).start()
    region = choose_region(args.region)
    if region is None:
        return EXIT_ERROR
    engine = new_engine(content, progress, seed=args.seed, confirm_quit=not args.text, region=region,
                        journal=journal)
    if args.text:
        from assistant.cli.text import run_text
        return run_text(engine, store)
    return _voice_cli().run_voice(args, engine, store)


def _report_safety(content) -> None:
    if content.safety.model_error:
        print(f"reflect: {content.safety.model_error}; the safety net listens with its rules alone.",
              file=sys.stderr)


# ----------------------------------------------------------------- sections
def cmd_sections(args: argparse.Namespace) -> int:
    from assistant.content.scripts import load_scripts

    script = load_scripts()
    rows = [{"id": s.id, "title": s.title, "prompts": s.prompt_count,
             "sentences": len(s.sentences), "perspectives": list(s.perspectives),
             "aliases": s.aliases} for s in script.sections]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(f"{script.article.title}, by {script.article.author}")
        for i, r in enumerate(rows):
            print(f"{i:2d}. {r['title']:<40} {r['prompts']} prompt(s), {r['sentences']} sentences")
    return EXIT_OK


# ---------------------------------------------------------------------- nlu
def _understand(content, text: str) -> dict:
    from assistant.dialog.engine import safety_stands
    from assistant.understanding.decide import decide

    match = content.matcher.match(text)
    decision = decide(content.matcher, text, match=match)
    result = match.as_dict()
    # Below acceptance the engine would ask back: no intent (understanding/decide.py).
    result["intent"], result["section"] = decision.intent, decision.section
    result["command"] = decision.command  # acted on as a command (not an answer word)
    hit = content.safety.check(text)
    if not safety_stands(hit, match):
        hit = None  # a sure command is not the learned layer's guess (as in the engine)
    result["safety"] = hit is not None
    result["safety_layer"] = hit.layer if hit else None  # "model": the engine asks before it stops
    return result


def cmd_nlu(args: argparse.Namespace) -> int:
    from assistant.dialog.session import load_content

    content = load_content()
    if args.eval:
        from assistant.understanding.evaluation import evaluate, format_report

        report = evaluate(content, args.eval)
        print(json.dumps(report, indent=1) if args.json else format_report(report))
        return EXIT_OK
    if args.utterance is not None:
        result = _understand(content, args.utterance)
        print(json.dumps(result) if args.json else _describe(result))
        return EXIT_OK
    count, started = 0, time.perf_counter()
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # junk bytes are text we do not understand
    for line in sys.stdin:
        text = line.rstrip("\n")
        result = _understand(content, text)
        print(json.dumps(result) if args.json else f"{text!r}: {_describe(result)}")
        count += 1
    if count:
        ms = (time.perf_counter() - started) * 1000 / count
        print(f"reflect: {count} utterances, {ms:.3f} ms each", file=sys.stderr)
    return EXIT_OK


def _describe(r: dict) -> str:
    extra = f" (section: {r['section']})" if r["section"] else ""
    safety = " [SAFETY]" if r["safety"] else ""
    return f"{r['intent']} {r['score']:.0f}{extra}{safety}"


def choose_region(given: str | None) -> str | None:
    """--region, else $REFLECT_REGION, else the locale's region; None (after
    one line saying why) for a code no region has."""
    import locale
    import os

    from assistant.content.crisis import load_crisis_lines, region_for_locale

    regions = load_crisis_lines()
    code = given or os.environ.get("REFLECT_REGION")
    if code:
        if code.upper() not in regions:
            print(f"reflect: no crisis lines for region {code!r}; known: {', '.join(regions)}.",
                  file=sys.stderr)
            return None
        return code.upper()
    here = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
    return region_for_locale(here, regions)


# ------------------------------------------------------------------- status
def cmd_status(args: argparse.Namespace) -> int:
    store = Store(args.data_dir)
    progress = store.load_progress()
    for notice in store.notices:
        print(f"reflect: {notice}", file=sys.stderr)
    journal = store.load_journal()
    data = {"section": progress.section if progress else None,
            "step": progress.step if progress else None,
            "sentence": progress.sentence if progress else 0,
            "reading": progress.reading if progress else False,
            "paused": progress.paused if progress else False,
            "perspective": (progress.perspective or None) if progress else None,
            "finished": progress.finished if progress else False,
            "journal_entries": len(journal),
            "data_dir": str(store.dir)}
    if args.json:
        print(json.dumps(data))
    elif progress is None:
        print("No reflection started yet. Run `reflect` (or `reflect --text`) to begin.")
    else:
        print(describe_progress(progress, len(journal)))
    return EXIT_OK


def describe_progress(progress, entries: int) -> str:
    """The same facts as `status --json`, in words a person reads."""
    from assistant.content.scripts import load_scripts

    script = load_scripts()
    kept = f"{entries} journal {'entry' if entries == 1 else 'entries'} kept."
    if progress.finished:
        return f"The reflection is finished. {kept}"
    try:
        sec = script.by_id(progress.section)
    except KeyError:
        return f"In progress. {kept}"
    number = [s.id for s in script.sections].index(sec.id) + 1
    where = f"'{sec.title}', part {number} of {len(script.sections)}"
    asked = [s for s in sec.step_order() if sec.steps[s].kind in ("prompt", "choice")]
    if progress.reading:
        where += ", being read aloud"
    elif progress.step in asked:
        where += f", question {asked.index(progress.step) + 1} of {len(asked)}"
    state = "On a break at" if progress.paused else "At"
    who = {"hurt": "as the one who was hurt", "hurter": "as the one who broke trust",
           "reflect": "reflecting in general"}.get(progress.perspective or "", "")
    return f"{state} {where}{f', {who}' if who else ''}. {kept}"


# ------------------------------------------------------------------ journal
def cmd_journal(args: argparse.Namespace) -> int:
    store = Store(args.data_dir)
    if args.delete:
        if not args.yes:
            if not sys.stdin.isatty():
                print("reflect: add --yes to delete the journal without a question.", file=sys.stderr)
                return EXIT_ERROR
            answer = input("Delete your whole journal? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Kept.")
                return EXIT_OK
        n = store.delete_journal()
        print("Journal deleted." if n else "There was no journal to delete.")
        return EXIT_OK
    entries = store.load_journal()
    for notice in store.notices:
        print(f"reflect: {notice}", file=sys.stderr)
    if args.export:
        try:
            _export_markdown(entries, args.export)
        except OSError as e:
            print(f"reflect: cannot write {args.export}: {e.strerror or e}. Nothing was exported.",
                  file=sys.stderr)
            return EXIT_ERROR
        print(f"Wrote {len(entries)} {'entry' if len(entries) == 1 else 'entries'} to {args.export}")
        return EXIT_OK
    if args.json:
        from dataclasses import asdict
        print(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1))
        return EXIT_OK
    if not entries:
        print("Your journal is empty.")
    titles = _section_titles() if entries else {}
    for e in entries:
        print(f"[{_local_time(e.time)}] {titles.get(e.section, e.section)}\n  Q: {e.prompt}\n  A: {e.answer}\n")
    return EXIT_OK


def _section_titles() -> dict[str, str]:
    from assistant.content.scripts import load_scripts

    return {sec.id: sec.title for sec in load_scripts().sections}


def _local_time(stamp: str) -> str:
    """A stored (UTC, ISO) time in the reader's own time: "6 December 2026, 08:58"."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%-d %B %Y, %H:%M")
    except ValueError:
        return stamp


def _export_markdown(entries, path: Path) -> None:
    from assistant.dialog.memory import quoted, summary_answers
    from assistant.storage.atomic import write_atomic

    titles = _section_titles()
    lines = ["# My reflection journal", "", "On \"Trust in Relationships\" by Sarah M.", ""]
    brief = summary_answers(entries)
    if brief:  # the closing summary Reflect says, at the top
        lines += ["In brief, in your own words:", ""]
        lines += [f"- {titles.get(e.section, e.section)}: {quoted(e.answer)}" for e in brief] + [""]
    for e in entries:
        when = _local_time(e.time)  # stored in UTC; shown in the reader's own time
        lines += [f"## {titles.get(e.section, e.section)} ({when})", "", f"**{e.prompt}**", "", e.answer, ""]
    write_atomic(Path(path), "\n".join(lines).encode("utf-8"))  # private, like the journal
