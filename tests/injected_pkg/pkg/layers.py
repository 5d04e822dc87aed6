from torch import nn


class Layer(nn.Module):
    def __init__(self, dim, attn: nn.Module):
        super().__init__()
        self.attn = attn
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(x + self.attn(x))


class LayerV2(Layer):
    def __init__(self, first=False, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.first = first


class Net(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return self.backbone(x)
