import torch


def rotate(x):
    freqs = torch.polar(torch.ones_like(x), x)
    return torch.view_as_real(freqs).flatten(-2)
