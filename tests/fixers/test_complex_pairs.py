"""The complex-to-pairs codemod marks nodes, not ids that a later node may reuse."""

from __future__ import annotations

import gc

import libcst as cst

from exportlint.fixers.rewrites.complex_pairs import ComplexToPairs


def test_a_freed_marked_node_does_not_mark_the_next_node_at_its_address() -> None:
    rewrite = ComplexToPairs(names=set(), attrs=set(), twins={})
    for _ in range(200):
        rewrite._mark(cst.parse_expression("q * table"))  # the caller drops the node at once
    gc.collect()
    fresh = [cst.parse_expression("x.flatten(3)") for _ in range(200)]
    assert not any(rewrite._is(node) for node in fresh)


def test_view_as_real_of_a_complex_product_is_real_for_later_shape_calls() -> None:
    source = "def f(q, table):\n    return torch.view_as_real(q * table).flatten(3)\n"
    for _ in range(20):  # the misreading depended on which addresses were reused
        rewrite = ComplexToPairs(names={"q", "table"}, attrs=set(), twins={})
        out = cst.parse_module(source).visit(rewrite).code
        assert "_complex_mul(q, table).flatten(3)\n" in out, out
        assert rewrite.unsupported == []


def test_indexing_a_complex_value_keeps_its_pair_dimension() -> None:
    # LLaMA-style broadcasting of the frequency table: `freqs[None, :, None, :]` indexes the
    # complex dimensions only; with an ellipsis the pair dimension is named explicitly.
    source = ("def f(q, freqs):\n    fc = freqs[None, :, None, :]\n    last = freqs[..., -1]\n"
              "    return torch.view_as_real(q * fc).flatten(3), last.real\n")
    rewrite = ComplexToPairs(names={"q", "freqs"}, attrs=set(), twins={})
    out = cst.parse_module(source).visit(rewrite).code
    assert rewrite.unsupported == []
    assert "fc = freqs[None, :, None, :]\n" in out
    assert "last = freqs[..., -1, :]\n" in out
    assert "return _complex_mul(q, fc).flatten(3), last[..., 0]\n" in out


def test_a_device_move_of_a_complex_value_stays_a_move_of_its_pairs() -> None:
    source = ("def f(q, table, device):\n    a = table.to(q.device)\n    b = table.to(device=device, non_blocking=True)\n"
              "    c = table.cpu().to('cuda:0')\n    return torch.view_as_real(q * a * b * c)\n")
    rewrite = ComplexToPairs(names={"q", "table"}, attrs=set(), twins={})
    out = cst.parse_module(source).visit(rewrite).code
    assert rewrite.unsupported == []
    assert "return _complex_mul(_complex_mul(_complex_mul(q, a), b), c)\n" in out, out


def test_a_dtype_change_of_a_complex_value_is_refused_at_its_own_node() -> None:
    source = "def f(q, table):\n    t = table.to(torch.complex128)\n    return torch.view_as_real(q * t)\n"
    module = cst.parse_module(source)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    rewrite = ComplexToPairs(names={"q", "table"}, attrs=set(), twins={})
    module.visit(rewrite)
    assert rewrite.unsupported[0] == "`.to()` on complex `table`"
    assert [positions[node].start.line for node in rewrite.unsupported_at][0] == 2
