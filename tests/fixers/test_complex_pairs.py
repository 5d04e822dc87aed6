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
