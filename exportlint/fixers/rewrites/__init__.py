"""libcst rewrites of the user's methods for the wrapper: generic edits (`codemods`), branch
freezing and `torch.where` / `torch.cond` forms (`branches`), complex numbers as real pairs."""
