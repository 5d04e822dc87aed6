"""Facts from the CST: nn.Module classes, code reachable from forward, what each expression depends on."""

from exportlint.analysis.facts import FileFacts, build_facts
from exportlint.analysis.values import Dep, Form, Val

__all__ = ["Dep", "FileFacts", "Form", "Val", "build_facts"]
