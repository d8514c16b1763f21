"""Helpers shared by the benchmark scripts: the machine line, BEIR loading, peak memory."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from sleuth.evaluate.resources import peak_rss_bytes

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()}"


def load_beir(data: Path, split: str = "test") -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    from sleuth.evaluate.beir import load_qrels, load_queries

    corpus = [json.loads(line) for line in open(data / "corpus.jsonl", encoding="utf-8") if line.strip()]
    queries = load_queries(data)
    qrels = load_qrels(data, split)
    return corpus, {q: queries[q] for q in qrels if q in queries}, qrels


def peak_rss_mb() -> float:
    return peak_rss_bytes() / 2**20
