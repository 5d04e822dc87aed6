"""Factories that build Meta's real SAM3 components (``sam3==0.1.4``) with random weights."""
