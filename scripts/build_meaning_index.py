"""Store the sentence vectors of every packaged text understanding by meaning
compares with (assistant/content/meaning_index.npz), so a session does not
encode some 3,000 sentences at start-up.

Run it after changing commands.toml, not_commands.txt or a section's names;
a text without a stored vector still works (it is encoded at load, about
8 ms each) and tests/unit/test_meaning.py says when the file is out of date.

    python scripts/build_meaning_index.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.content.files import content_dir  # noqa: E402
from assistant.dialog.session import load_content, meaning_for  # noqa: E402
from assistant.understanding.meaning import INDEX_FILE, write_stored  # noqa: E402


def main() -> int:
    t0 = time.perf_counter()
    content = load_content(meaning=False)
    index = meaning_for(content, stored={})
    if index is None:
        print(f"the sentence model is not installed: {content.safety.model_error}", file=sys.stderr)
        return 1
    path = content_dir() / INDEX_FILE
    write_stored(path, index.vectors)
    print(f"{len(index.vectors)} texts encoded in {time.perf_counter() - t0:.1f} s -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
