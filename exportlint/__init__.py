"""exportlint: find, confirm and fix what stops a PyTorch model from exporting to ONNX."""

__version__ = "0.1.0"
