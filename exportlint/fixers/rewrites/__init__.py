"""libcst rewrites of the user's methods for the wrapper: generic edits (`codemods`), branch
freezing and `torch.where` forms (`branches`), `torch.cond` (`cond`), bounded masked loops
(`loops` decides, `masked_loop` writes), complex numbers as real pairs."""
