"""Reflect: an offline, voice-guided reflection on "Trust in Relationships"."""

import os as _os

# numpy's BLAS on one thread: the matrices here are small (a sentence's
# tokens by 384), and Whisper decodes on the other core at the same time.
# With two BLAS threads competing with it, a sentence took 34 ms (median) and
# 384 ms (p90) to encode; with one, 11 and 23 ms. Set before numpy loads.
for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")

__version__ = "0.1.0"


def _return_large_blocks_to_the_system() -> None:
    """Blocks of 128 KB and more are mapped and unmapped on their own, not
    kept in malloc's heap. glibc otherwise raises that threshold as large
    blocks are freed, and the model loads (Whisper's weights converted to
    int8, the voice's first syntheses) left their temporaries in a heap that
    never shrank: peak resident memory with Whisper, the neural voice and the
    sentence model loaded, after reading two sections, was 770 MB, and 675 MB
    with the threshold held (525 MB with the voice's arena given back too)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: its own policy


_return_large_blocks_to_the_system()
