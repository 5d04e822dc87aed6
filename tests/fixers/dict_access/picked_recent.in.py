"""A tracker memory read in two statements: the newest `keep` frames are picked from the bank
first, then gathered with a list comprehension. The pick and the gathering are one region: the
export holds `keep` slots, filled on the host from any memory."""

import torch
from torch import nn


class PickedRecall(nn.Module):
    def __init__(self, dim: int = 8, keep: int = 3) -> None:
        super().__init__()
        self.keep = keep
        self.read = nn.MultiheadAttention(dim, 2, batch_first=True)
        self.out = nn.Linear(dim, dim)

    def forward(self, tokens: torch.Tensor, bank: dict[int, torch.Tensor]) -> torch.Tensor:
        newest = sorted(bank.items(), reverse=True)[: self.keep]
        feats = [feat * 0.5 for _, feat in newest]
        if not feats:
            return self.out(tokens)
        context = torch.cat(feats, dim=1)
        update, _ = self.read(tokens, context, context, need_weights=False)
        return self.out(tokens + update)


def make():
    torch.manual_seed(0)
    bank = {t: torch.randn(1, 2, 8) for t in (3, 7)}
    return PickedRecall().eval(), (torch.randn(1, 5, 8), bank)
