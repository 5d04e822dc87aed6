"""A tracker that attends to a learned "no memory" token when no past frame is found: the
filler is appended to the gathered list only when it is empty. The export always appends it,
and the key padding mask attends to it only when every memory slot is empty."""

import torch
from torch import nn


class NoMemoryToken(nn.Module):
    def __init__(self, dim: int = 8, num_mem: int = 4) -> None:
        super().__init__()
        self.num_mem = num_mem
        self.read = nn.MultiheadAttention(dim, 2, batch_first=True)
        self.no_mem = nn.Parameter(torch.randn(1, 1, dim))
        self.out = nn.Linear(dim, dim)

    def forward(self, tokens: torch.Tensor, bank: dict[int, torch.Tensor], frame_idx: int) -> torch.Tensor:
        found = []
        for back in range(1, self.num_mem):
            prev = bank.get(frame_idx - back)
            if prev is None:
                continue
            found.append(prev)
        if not found:
            found.append(self.no_mem.expand(tokens.shape[0], -1, -1))
        context = torch.cat(found, dim=1)
        update, _ = self.read(tokens, context, context, need_weights=False)
        return self.out(tokens + update)


def make():
    torch.manual_seed(0)
    bank = {t: torch.randn(1, 3, 8) for t in (4, 6)}
    return NoMemoryToken().eval(), (torch.randn(1, 5, 8), bank, 7)
