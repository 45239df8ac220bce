"""Reflect: an offline, voice-guided reflection on "Trust in Relationships"."""

import os as _os

# numpy's BLAS on one thread: the matrices here are small (a sentence's
# tokens by 384), and Whisper decodes on the other core at the same time.
# With two BLAS threads competing with it, a sentence took 34 ms (median) and
# 384 ms (p90) to encode; with one, 11 and 23 ms. Set before numpy loads.
for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")

__version__ = "0.1.0"
