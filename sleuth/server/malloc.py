"""Keep the server's memory from creeping up under writes (glibc only; a no-op elsewhere).

glibc gives each thread that allocates its own malloc arena, up to 8 per core. The server runs
requests on up to 40 threads, and every write replaces the loaded collection view: the freed index
arrays leave holes spread over many arenas, which glibc does not hand back to the system. Measured
with `python benchmarks/bench_server.py --clients 32 --seconds 60 --writes 0,1,2` on SciFact: server
RSS 279 -> 561 MB over 16 writes with the default arenas, 260 -> 334 MB with two. So the server
limits itself to two arenas (``mallopt(M_ARENA_MAX, 2)``, as ``MALLOC_ARENA_MAX=2`` would) and
returns free memory to the system after a view is closed (``malloc_trim(0)``).
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # from glibc's malloc.h


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def limit_arenas(n: int = 2) -> bool:
    """Cap the number of malloc arenas; True if the C library took it."""
    return bool(_LIBC and _LIBC.mallopt(M_ARENA_MAX, n) == 1)


def release_free_memory() -> None:
    """Give memory that is free but still held by the allocator back to the system."""
    if _LIBC:
        _LIBC.malloc_trim(0)
