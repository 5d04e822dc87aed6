"""SAM3-like components: a fusion encoder, a segmentation head and a tracker memory step.

Each module is written from scratch with the structure of the SAM3 code the export blockers
were reported on, at toy sizes. Each file has `make() -> (module, example_args)`.
"""
