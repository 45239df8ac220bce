"""Reflect: an offline, voice-guided reflection on "Trust in Relationships"."""

import os as _os

# numpy's BLAS (OpenBLAS) on one thread: the matrices here are small (a
# sentence's tokens by 384), and Whisper decodes on the other core at the same
# time. With two BLAS threads competing with it, a sentence took 34 ms (median)
# and 384 ms (p90) to encode; with one, 11 and 23 ms. Set before numpy loads.
# Not MKL's: CTranslate2 runs Whisper on MKL, and one MKL thread made a 4 s
# utterance take 1.1-1.3 s to decode instead of 0.8.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"


M_MMAP_THRESHOLD = -3
LOADING_MMAP = 128 * 1024
RUNNING_MMAP = 16 * 1024 * 1024


def _libc():
    import ctypes

    return ctypes.CDLL("libc.so.6")


def _mmap_threshold(size: int) -> None:
    try:
        _libc().mallopt(M_MMAP_THRESHOLD, size)
    except (OSError, AttributeError):
        pass  # not glibc: its own policy


def trim_heap() -> None:
    """Give malloc's free memory back to the system (glibc's malloc_trim, a
    millisecond or two): after model loads and after each decoding, whose
    temporaries otherwise stay in a heap that never shrinks."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass


def models_loaded() -> None:
    """Whisper has loaded: from now on blocks under 16 MB come from the heap
    (given back by trim_heap). Mapped and unmapped at every decoding, as while
    loading, they made a decoding a third slower (1.2 s against 0.8 s for a
    4 s utterance)."""
    _mmap_threshold(RUNNING_MMAP)
    trim_heap()


# While the models load, blocks of 128 KB and more are mapped and unmapped on
# their own: glibc otherwise raises that threshold as large blocks are freed,
# and the loads' temporaries (Whisper's weights converted to int8, the
# voice's first syntheses) stayed in the heap. Peak resident memory with
# Whisper, the neural voice and the sentence model loaded, after reading two
# sections, was 770 MB by default and 675 MB with the threshold held.
_mmap_threshold(LOADING_MMAP)
