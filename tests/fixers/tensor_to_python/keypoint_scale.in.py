"""Keypoint decoding whose post-processing was written with numpy: a scale built with
`torch.tensor([...])` of Python numbers stays a tensor (only numpy values lose their
`torch.from_numpy`), and `np.clip` on the decoded coordinates becomes `torch.clamp`."""

import numpy as np
import torch
from torch import nn


class KeypointDecoder(nn.Module):
    def __init__(self, channels: int = 8, joints: int = 3, image: tuple[int, int] = (16, 16)) -> None:
        super().__init__()
        self.heat = nn.Conv2d(channels, joints, 1)
        self.offset = nn.Conv2d(channels, 2 * joints, 1)
        self.image_h, self.image_w = image

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        heat = self.heat(x)
        b, k, h, w = heat.shape
        flat = heat.flatten(2)
        idx = flat.argmax(-1)
        ys = (idx // w).float()
        xs = (idx % w).float()
        off = self.offset(x).view(b, k, 2, h * w)
        picked = off.gather(3, idx[:, :, None, None].expand(b, k, 2, 1)).squeeze(-1)
        coords = torch.stack([xs + picked[..., 0], ys + picked[..., 1]], dim=-1)
        coords = coords * torch.tensor([self.image_w / w, self.image_h / h])
        arr = coords.detach().cpu().numpy()
        arr = np.clip(arr, 0, self.image_w - 1)
        return torch.from_numpy(arr), flat.max(-1).values.sigmoid()


def make():
    torch.manual_seed(0)
    return KeypointDecoder().eval(), (torch.randn(1, 8, 8, 8),)
