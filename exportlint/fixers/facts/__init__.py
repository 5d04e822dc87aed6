"""What fixers know about the target: its parsed source and
decision sites (`source_index`), one traced eager forward (`runtime`), and the CPU shim for
CUDA-only code (`cpu_shim`)."""
