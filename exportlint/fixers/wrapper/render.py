"""Render a `WrapperPlan` as the wrapper module's source: deterministic, formatted Python."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import libcst as cst

from exportlint.fixers.rewrites.codemods import apply_edits
from exportlint.fixers.wrapper.bindings import free_names, import_bindings, merge_imports
from exportlint.fixers.wrapper.plan import FilePart, ParamFact, WrapperPlan
from exportlint.fixers.wrapper.templates import (
    ADOPT_HELPER,
    DYNAMO_OPTIONS,
    LEGACY_OPTIONS,
    LOAD_FILE_HELPER,
    MAIN_BLOCK,
)

_WIDTH = 100


def render_wrapper(plan: WrapperPlan, out_dir: Path, name: str) -> str:
    """The wrapper module for `plan`, as it will be written to `out_dir/<name>_export.py`."""
    classes = _rendered_classes(plan)
    helpers = all_helpers(plan)
    header = "\n\n".join([_docstring(plan, name), "from __future__ import annotations",
                          _imports(plan, out_dir, classes)])
    parts = [
        header,
        ADOPT_HELPER if classes else "",
        *helpers.values(),
        *[_subclass(plan, cls, nodes) for cls, nodes, _ in classes],
        _wrapper_class(plan, classes),
        _interface(plan, name),
    ]
    text = "\n\n\n".join(p.strip("\n") for p in parts if p.strip())
    return text + "\n"


def all_helpers(plan: WrapperPlan) -> dict[str, str]:
    """Module-level helpers of every fixed file, each name once (the first file's first)."""
    merged: dict[str, str] = {}
    for part in plan.file_parts():
        for key, source in part.helpers.items():
            merged.setdefault(key, source)
    return merged


def source_label(plan: WrapperPlan) -> str:
    """How notes name the rewritten file: its name, or its package path when it is not the target's."""
    if plan.source_module is None:
        return plan.index.path.name
    tail = "/__init__.py" if plan.index.path.name == "__init__.py" else ".py"
    return plan.source_module.replace(".", "/") + tail


def wrapper_class_name(plan: WrapperPlan) -> str:
    return f"{plan.facts.root_class}Export"


def subclass_name(cls: str) -> str:
    return f"{cls}ForExport"


def _rendered_classes(plan: WrapperPlan) -> list[tuple[str, list[cst.FunctionDef], FilePart]]:
    rendered = []
    for part in plan.file_parts():
        for cls in part.rewritten_classes():
            nodes = []
            for symbol, edits in part.edits.items():
                if symbol.split(".", 1)[0] == cls:
                    nodes.append(apply_edits(part.index.methods[symbol].node, edits))
            for src in part.new_methods.get(cls, []):
                parsed = cst.parse_module(textwrap.dedent(src)).body[0]
                assert isinstance(parsed, cst.FunctionDef)
                nodes.append(parsed)
            order = list(part.index.methods)
            nodes.sort(key=lambda n: order.index(f"{cls}.{n.name.value}")
                       if f"{cls}.{n.name.value}" in order else len(order))
            rendered.append((cls, nodes, part))
    return rendered


def _docstring(plan: WrapperPlan, name: str) -> str:
    lines = [f"ONNX export wrapper for `{plan.facts.root_class}`, written by `exportlint fix`.", "",
             f"Target: {plan.target.spec}",
             "The wrapper reuses the module the factory builds: its views share the original's",
             "parameters, buffers and submodules (nothing is copied), and the user's code is not edited.",
             ""]
    lines.append("Frozen or rewritten (the export keeps only these paths):" if plan.notes
                 else "Nothing was frozen or rewritten.")
    for note in plan.notes:
        where = f" ({note.path or source_label(plan)}:{note.line})" if note.line else \
            (f" ({note.path})" if note.path else "")
        lines.extend(_bullet(f"{note.rule}{where}: {note.text}"))
    if plan.manual:
        lines += ["", "Manual work needed (no faithful automatic rewrite):"]
        for item in plan.manual:
            lines.extend(_bullet(f"{item.rule} ({item.path or source_label(plan)}:{item.line}, "
                                 f"{item.symbol}): {item.reason}"))
    lines += [""]
    lines += textwrap.wrap(f"Graph inputs: {', '.join(i.name for i in plan.inputs) or 'none'}.",
                           _WIDTH, subsequent_indent="    ", break_on_hyphens=False)
    lines += textwrap.wrap(f"Graph outputs: {', '.join(n for n, _ in plan.outputs)}.", _WIDTH,
                           subsequent_indent="    ", break_on_hyphens=False)
    lines.append(f"Run this file to export `{name}.onnx` next to it.")
    body = "\n".join(line.rstrip() for line in lines)
    return f'"""{body}\n"""'


def _bullet(text: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH - 2, initial_indent="- ", subsequent_indent="  ",
                         break_on_hyphens=False, break_long_words=False)


def _imports(plan: WrapperPlan, out_dir: Path,
             classes: list[tuple[str, list[cst.FunctionDef], FilePart]]) -> str:
    ref = plan.target
    own = {"import sys", "from pathlib import Path", "import torch", "from torch import Tensor, nn"}
    taken = {"torch", "Tensor", "nn", "Path", "sys"} | set(all_helpers(plan))
    lines = set(own)
    if ref.module is None:
        lines |= {"import importlib.util", "from types import ModuleType"}
    sources = []
    for i, part in enumerate(plan.file_parts()):
        nodes: list[cst.CSTNode] = [m for _, methods, p in classes if p.index is part.index for m in methods]
        nodes += [cst.parse_module(src) for src in part.helpers.values()]
        needed = free_names(nodes) | set(part.rewritten_classes())
        if i == 0:
            needed |= {plan.facts.root_class, ref.factory}
        needed -= taken
        bindings = import_bindings(part.index.module)
        lines |= {bindings[n] for n in needed if n in bindings}
        from_user = sorted(n for n in needed if n not in bindings)
        if i == 0 and part.source_module is None:
            first = _user_import(plan, out_dir, from_user)
            continue
        if i == 0:
            # The model's classes live in another module than the factory (see build.class_source).
            from_user.remove(ref.factory)
            first = _user_import(plan, out_dir, [ref.factory])
        if part.source_module is not None:
            # Only names the module really has: a method may use a name its file binds only
            # when an optional import worked (`flash_attn_func`), in a branch the export drops.
            present = _present(part.source_module, from_user)
            if present:
                sources.append(_from_import(part.source_module, present))
    text = merge_imports(lines) + "\n\n" + first
    if sources:
        text += ("\n\n# The model's classes and functions, from the modules that define them.\n"
                 + "\n".join(sources))
    return text


def _present(module: str, names: list[str]) -> list[str]:
    loaded = sys.modules.get(module)
    return [n for n in names if loaded is None or hasattr(loaded, n)]


def _from_import(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) > _WIDTH - 14:
        line = _call_line(f"from {module} import ", [(None, n) for n in names])
    return f"{line}  # noqa: E402"


def _user_import(plan: WrapperPlan, out_dir: Path, names: list[str]) -> str:
    ref = plan.target
    if ref.module is not None and ref.root is not None:
        rel = Path(os.path.relpath(ref.root, out_dir.resolve())).as_posix()
        joined = ", ".join(names)
        return (f"# The user's code, imported from its package root ({rel} from this file).\n"
                f'_ROOT = str((Path(__file__).resolve().parent / "{rel}").resolve())\n'
                "if _ROOT not in sys.path:\n    sys.path.insert(0, _ROOT)\n"
                f"from {ref.module} import {joined}  # noqa: E402")
    if ref.module is not None:
        return f"from {ref.module} import {', '.join(names)}"
    rel = Path(os.path.relpath(ref.path, out_dir.resolve())).as_posix()
    assigns = "\n".join(f"{n} = _user.{n}" for n in names)
    user_file = f'_USER_FILE = Path(__file__).resolve().parent / "{rel}"'
    if len(user_file) > _WIDTH:
        user_file = f'_USER_FILE = (\n    Path(__file__).resolve().parent / "{rel}"\n)'
    return (f"{user_file}\n"
            f'_USER_MODULE = "{ref.loose_name}"\n\n\n' + LOAD_FILE_HELPER.strip("\n") +
            f"\n\n\n_user = _load_user_module()\n{assigns}")


def _subclass(plan: WrapperPlan, cls: str, methods: list[cst.FunctionDef]) -> str:
    names = ", ".join(m.name.value for m in methods)
    header = (f"class {subclass_name(cls)}({cls}):\n"
              f'    """`{cls}` with rewritten copies of: {names}."""\n\n    pass\n')
    parsed = cst.parse_module(header)
    classdef = parsed.body[0]
    assert isinstance(classdef, cst.ClassDef)
    body = list(classdef.body.body[:1])
    for method in methods:
        blank = [cst.EmptyLine(indent=False)]
        body.append(method.with_changes(leading_lines=blank + _comments(method)))
    classdef = classdef.with_changes(body=classdef.body.with_changes(body=body))
    return cst.Module([classdef]).code


def _comments(method: cst.FunctionDef) -> list[cst.EmptyLine]:
    return [line for line in method.leading_lines if line.comment is not None]


def _wrapper_class(plan: WrapperPlan,
                   classes: list[tuple[str, list[cst.FunctionDef], FilePart]]) -> str:
    name = wrapper_class_name(plan)
    views = _views([(cls, part) for cls, _, part in classes])
    init = ("        self.model = _adopt(model, {" + views + "})" if views
            else "        self.model = model")
    if len(init) > _WIDTH:
        entries = "".join(f"                {v},\n" for v in views.split(", "))
        init = f"        self.model = _adopt(\n            model,\n            {{\n{entries}            }},\n        )"
    return "\n".join([
        f"class {name}(nn.Module):",
        f'    """Export view of `{plan.facts.root_class}`: flat tensor inputs, flat tensor outputs."""',
        "", f"    def __init__(self, model: {plan.facts.root_class}) -> None:",
        "        super().__init__()", init, *[f"        {line}" for line in plan.init_lines],
        "", _forward(plan), "", _export_inputs(plan)])


def _forward(plan: WrapperPlan) -> str:
    params = "".join(f", {i.name}: {i.annotation}" for i in plan.inputs)
    signature = f"    def forward(self{params}) -> {_return_annotation(plan)}:"
    if len(signature) > _WIDTH:
        inner = "".join(f"        {i.name}: {i.annotation},\n" for i in plan.inputs)
        signature = f"    def forward(\n        self,\n{inner}    ) -> {_return_annotation(plan)}:"
    doc = f"Graph inputs: {', '.join(i.name for i in plan.inputs)}."
    lines = textwrap.wrap(doc, _WIDTH - 14, break_on_hyphens=False)
    if len(lines) > 1:
        doc = "\n        ".join(lines) + "\n        "
    body = [f"        {line}" for line in plan.prelude]
    call = f"        out = self.model.{plan.entry}" if plan.entry else "        out = self.model"
    body.append(_call_line(call, [(a.keyword, a.expr) for a in plan.call]))
    body.append(f"        return {_return_expr(plan)}")
    return "\n".join([signature, f'        """{doc}"""', *body])


def _export_inputs(plan: WrapperPlan) -> str:
    params = ["self", *[_param_text(p) for p in plan.params]]
    signature = _call_line("    def export_inputs", [(None, p) for p in params])
    sources = ", ".join(i.source for i in plan.inputs)
    result = f"({sources},)" if len(plan.inputs) == 1 else f"({sources})"
    if len(f"        return {result}") > _WIDTH:
        result = "(\n" + "".join(f"            {i.source},\n" for i in plan.inputs) + "        )"
    return "\n".join([
        f"{signature} -> tuple[Tensor, ...]:",
        '        """The graph inputs for one call of the original module, in INPUT_NAMES order."""',
        *[f"        {line}" if line else "" for a in plan.adapter for line in a.split("\n")],
        f"        return {result}"])


def _views(classes: list[tuple[str, FilePart]]) -> str:
    pairs = []
    for cls, part in classes:
        for path in part.facts.module_paths.get(cls, []):
            pairs.append((path, subclass_name(cls)))
    pairs.sort()
    return ", ".join(f'"{p}": {c}' for p, c in pairs)


def _call_line(head: str, args: list[tuple[str | None, str]]) -> str:
    parts = [f"{k}={v}" if k else v for k, v in args]
    line = f"{head}({', '.join(parts)})"
    if len(line) <= _WIDTH:
        return line
    indent = " " * (len(head) - len(head.lstrip()) + 4)
    inner = "".join(f"{indent}{p},\n" for p in parts)
    return f"{head}(\n{inner}{indent[:-4]})"


def _return_annotation(plan: WrapperPlan) -> str:
    n = len(plan.outputs)
    return "Tensor" if n == 1 else f"tuple[{', '.join(['Tensor'] * n)}]"


def _return_expr(plan: WrapperPlan) -> str:
    exprs = [e for _, e in plan.outputs]
    return exprs[0] if len(exprs) == 1 else ", ".join(exprs)


def _interface(plan: WrapperPlan, name: str) -> str:
    dynamic = {k: v for k, v in sorted(plan.dynamic_axes.items()) if v}
    unpack = "module, args, kwargs" if plan.factory_kwargs else "module, args"
    call = "*args, **kwargs" if plan.factory_kwargs else "*args"
    return "\n".join([
        _tuple_line("INPUT_NAMES", [i.name for i in plan.inputs]),
        _tuple_line("OUTPUT_NAMES", [n for n, _ in plan.outputs]),
        f"DYNAMIC_AXES: dict[str, dict[int, str]] = {dynamic!r}",
        "", "",
        f"def make_export() -> tuple[{wrapper_class_name(plan)}, tuple[Tensor, ...]]:",
        f'    """The wrapper around the module `{plan.target.factory}()` builds, and its example inputs."""',
        f"    {unpack} = {plan.target.factory}()",
        f"    wrapper = {wrapper_class_name(plan)}(module)",
        f"    return wrapper, wrapper.export_inputs({call})",
        "", "",
        MAIN_BLOCK.format(name=name, options=LEGACY_OPTIONS if plan.exporter == "legacy"
                          else DYNAMO_OPTIONS).strip("\n"),
    ])


def _tuple_line(name: str, items: list[str]) -> str:
    quoted = [f'"{i}"' for i in items]
    line = f"{name} = ({', '.join(quoted)}{',' if len(items) == 1 else ''})"
    if len(line) <= _WIDTH:
        return line
    return f"{name} = (\n" + "".join(f"    {q},\n" for q in quoted) + ")"


def _param_text(param: ParamFact) -> str:
    return f"{param.name}={param.default}" if param.default is not None else param.name
