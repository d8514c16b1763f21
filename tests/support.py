"""Test helpers: a deterministic synthetic corpus and the path to the optional shared test data."""

from __future__ import annotations

import random
from pathlib import Path

from sleuth.types import Document

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

_WORDS = (
    "protein cell gene tumor vaccine virus neuron cortex signal pathway enzyme receptor membrane "
    "lattice quantum photon laser plasma fluid turbulence wing airfoil boundary layer shock wave "
    "library catalog index retrieval query ranking relevance citation journal archive network graph "
    "matrix vector tensor gradient descent optimizer kernel sparse dense embedding token model"
).split()


def synthetic_docs(n: int, seed: int = 0, words: int = 60, prefix: str = "d") -> list[Document]:
    """``n`` documents of sentences drawn from a small vocabulary, each with a unique marker word."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        sentences = []
        left = words
        while left > 0:
            m = min(left, rng.randint(5, 15))
            sentences.append(" ".join(rng.choice(_WORDS) for _ in range(m)).capitalize() + ".")
            left -= m
        text = f"Marker{prefix}{i}x appears here. " + " ".join(sentences)
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6))).title()
        docs.append(Document(f"{prefix}{i}", text, title, "synthetic", {"i": i}))
    return docs


class PassageQuizzer:
    """A stand-in generator with a fixed rule: asks about the shown passage's first three words and
    answers with the last four words of its first sentence (for the rules around a generator; the
    real SmolLM2 runs in tests/tune/test_pairs.py)."""

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, messages, *, max_tokens=256, temperature=0.0, stop=None) -> str:  # noqa: ANN001
        self.calls += 1
        passage = messages[-1]["content"].split("Passage: ", 1)[1]
        first = passage.split(". ")[0].split()
        return f"Question: What does the work say about {' '.join(passage.split()[:3])}?\nAnswer: {' '.join(first[-4:])}"

LOCAL = "http://127.0.0.1"
"""Base URL for in-process test clients: the server answers only loopback host names (HostCheck)."""
