"""Other export patterns: complex RoPE, score thresholding, hard-coded devices, a clean block."""
