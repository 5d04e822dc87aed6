"""The eager path recorder: where two runs of the same forward part ways."""

from __future__ import annotations

import torch
from torch import nn

from exportlint.probe.eager import eager_path


class Walk(nn.Module):
    def forward(self, x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 2:
            x = x * 2
        for _ in range(int(n)):
            x = x + 1
        if x.sum() > 0:
            return x
        return -x


def _line(text: str) -> int:
    import inspect

    lines, start = inspect.getsourcelines(Walk.forward)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_runs_that_differ_only_in_a_loop_count_fork_at_the_loop_and_agree_at_the_shape_test() -> None:
    model = Walk()
    example = eager_path(model, (torch.ones(3, 2), torch.tensor(3)), {})
    shorter = eager_path(model, (torch.ones(3, 2), torch.tensor(1)), {})
    assert example is not None and shorter is not None
    path = __file__
    assert example.agrees(shorter, (path, _line("x.shape[1] == 2")))
    assert example.fork(shorter) == (path, _line("for _ in range"))
    assert len(example.next_lines[(path, _line("for _ in range"))]) == 4  # three passes, then out
    assert not example.agrees(shorter, (path, _line("x = x + 1")))


def test_a_flipped_branch_forks_at_its_test_and_a_raising_run_has_no_path() -> None:
    model = Walk()
    example = eager_path(model, (torch.ones(3, 2), torch.tensor(0)), {})
    flipped = eager_path(model, (-torch.ones(3, 2), torch.tensor(0)), {})
    assert example is not None and flipped is not None
    assert example.fork(flipped) == (__file__, _line("x.sum() > 0"))
    assert eager_path(model, (torch.ones(3, 2), torch.tensor([1, 2])), {}) is None  # int() raises


def test_the_inputs_are_copied_before_the_run() -> None:
    class Bump(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x.add_(1)
            return x

    x = torch.zeros(2)
    assert eager_path(Bump(), (x,), {}) is not None
    assert x.tolist() == [0.0, 0.0]
