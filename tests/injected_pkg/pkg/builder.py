from pkg.attention import PlainAttention, RotaryAttention
from pkg.layers import LayerV2, Net


def _attention(dim):
    return RotaryAttention(dim)


def build_layer(dim):
    return LayerV2(first=True, dim=dim, attn=_attention(dim))


def _net(backbone):
    params = {"backbone": backbone}
    return Net(**params)


def build_net(dim):
    return _net(backbone=PlainAttention(dim))
