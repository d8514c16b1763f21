"""The trainers' schedule and budget logic (no torch: a stand-in optimiser records the learning rates)."""

from __future__ import annotations

import random

import pytest

from sleuth.cli.tune import parse_duration
from sleuth.errors import InputError
from sleuth.tune.training import Budget, batches, fit, lr_factor, run_steps


class RecordingOptimizer:
    def __init__(self) -> None:
        self.param_groups = [{"peak": 1.0}, {}]
        self.lrs: list[tuple[float, float]] = []

    def step(self) -> None:
        self.lrs.append((self.param_groups[0]["lr"], self.param_groups[1]["lr"]))

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


def test_lr_factor_warms_up_then_decays_linearly() -> None:
    assert [lr_factor(s, 20) for s in (0, 1)] == [0.5, 1.0]  # warm-up over 10% of 20 steps
    assert lr_factor(2, 20) == pytest.approx(1.0)
    assert lr_factor(11, 20) == pytest.approx(9 / 18)
    assert lr_factor(20, 20) == 0.0


def test_batches_cover_every_item_each_epoch_and_drop_the_short_tail() -> None:
    it = batches(list(range(10)), 3, random.Random(0))
    epoch = [next(it) for _ in range(3)]
    assert all(len(b) == 3 for b in epoch) and len({x for b in epoch for x in b}) == 9
    assert batches(list(range(10)), 3, random.Random(0)).__next__() == epoch[0]  # seeded


def test_run_steps_follows_the_schedule_and_group_peaks() -> None:
    opt = RecordingOptimizer()
    seen = []
    done = run_steps(lambda b: float(b), iter(range(100)), opt, Budget(3600), 10, 0.1,
                     lambda d, t, loss: seen.append((d, t, loss)))
    assert done == 10 and seen[-1] == (10, 10, 9.0)
    assert [a for a, _ in opt.lrs] == pytest.approx([lr_factor(s, 10) for s in range(10)])
    assert [b for _, b in opt.lrs] == pytest.approx([0.1 * lr_factor(s, 10) for s in range(10)])


def test_run_steps_stops_when_the_budget_is_spent() -> None:
    assert run_steps(lambda b: 0.0, iter(range(100)), RecordingOptimizer(), Budget(0), 50, 0.1) == 1


def test_fit_caps_at_the_epochs() -> None:
    n = fit(lambda b: 0.0, list(range(40)), 8, 3.0, 10_000, RecordingOptimizer(), Budget(3600), 0.1, 0, None)
    assert n == 15  # 3 passes over 40 items in batches of 8


@pytest.mark.parametrize("text,seconds", [("10m", 600), ("90s", 90), ("1.5h", 5400), ("45", 45)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "0m", "-5s", "5d"])
def test_parse_duration_rejects_nonsense(text: str) -> None:
    with pytest.raises(InputError, match="not a duration"):
        parse_duration(text)
