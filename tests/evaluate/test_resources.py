import subprocess
import sys

from sleuth.evaluate.resources import peak_rss_bytes

CHILD = "from sleuth.evaluate.resources import peak_rss_bytes; print(peak_rss_bytes())"


def test_peak_rss_counts_what_this_process_touches() -> None:
    block = bytearray(64 * 2**20)
    block[::4096] = b"\1" * len(block[::4096])
    assert peak_rss_bytes() >= 64 * 2**20


def test_a_child_does_not_inherit_its_parents_peak() -> None:
    """ru_maxrss survives exec on Linux; a child of a large parent must still report its own peak."""
    block = bytearray(400 * 2**20)
    block[::4096] = b"\1" * len(block[::4096])
    child = int(subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout)
    assert child < 300 * 2**20, child
