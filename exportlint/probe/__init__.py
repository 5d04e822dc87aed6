"""probe: run the real exporters on a target and turn what they do into findings.

torch is imported inside functions only. Entry points: `exportlint.probe.command.run` (CLI),
`exportlint.probe.target.load_target` (FILE.py:FACTORY / package.module:FACTORY).
"""
