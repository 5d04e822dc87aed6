"""Cross-file names for injected submodules: which classes a builder in another file passes in.

The injected-module rule sees one file. Real repositories build their layers elsewhere
(`model_builder.py`: `TransformerEncoderLayer(cross_attention=MultiheadAttention(...))`), so after
every file is analysed this pass looks, in the other scanned files that call the layer's class,
for the classes passed as the injected parameter, and names them in the finding with the errors
and warnings the scan found in their methods. It reads CPython's AST only (no libcst), so a warm
scan stays cheap; it runs on every scan because its answer depends on other files.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from exportlint.callgraph import qualify
from exportlint.model import INJECTED_MARK, FileResult, Finding
from exportlint.modname import module_names
from exportlint.prepass import ast_dotted_name

RULE = "injected-module"
# The injected-module message ends with this when its own file shows no construction.
NO_LOCAL_SITE = " (no construction of this class in the file shows which)"
_PARAM_RE = re.compile(r"^`(\w+)` is passed in through the constructor")
_MAX_FACTORY_DEPTH = 2
_MAX_NAMED = 6
_MAX_BASES = 5


@dataclass(frozen=True)
class _Wanted:
    owner: str  # the class taking the module, as defined
    module: str  # the dotted module defining it
    param: str
    index: int  # position among __init__'s parameters after self; -1 when keyword-only


@dataclass(frozen=True)
class _Site:
    cls: str  # class name as the caller writes it (last component)
    qualified: str  # its qualified name, when the caller's imports say
    where: str  # display path of the caller's file and its function


def link_injected(results: list[FileResult], paths: Sequence[Path], texts: Sequence[bytes | None],
                  count: bool = True) -> list[FileResult]:
    """Results with injected-module findings completed by construction sites in other files.

    Args:
        results: one result per path, in order.
        paths: the scanned files.
        texts: each file's bytes (None when unreadable); parsed as CPython does, coding line included.
        count: whether to say how many errors and warnings each named class's code has (False
            when a rule selection hides some, so a count would mislead).
    """
    pending = [(i, j) for i, r in enumerate(results) for j, f in enumerate(r.findings)
               if f.rule == RULE and f.message.endswith(NO_LOCAL_SITE)]
    if not pending:
        return results
    modules = module_names(list(paths))
    trees = _Trees(texts)
    by_module = {m: i for i, m in enumerate(modules) if m}
    counts = _Counts(results) if count else None
    updated = {i: list(r.findings) for i, r in enumerate(results)}
    for i, j in pending:
        finding = results[i].findings[j]
        wanted = _wanted(finding, modules[i], trees.get(i))
        if wanted is None:
            continue
        sites = _sites(wanted, i, texts, modules, trees, results)
        if sites:
            updated[i][j] = replace(finding, message=_message(finding.message, sites, by_module, results, counts))
    return [replace(r, findings=tuple(updated[i])) if updated[i] != list(r.findings) else r
            for i, r in enumerate(results)]


class _Trees:
    """Each file's AST, parsed on first use (None when it does not parse)."""

    def __init__(self, texts: Sequence[bytes | None]) -> None:
        self.texts = texts
        self.trees: dict[int, ast.Module | None] = {}

    def get(self, index: int) -> ast.Module | None:
        if index not in self.trees:
            text = self.texts[index]
            try:
                self.trees[index] = ast.parse(text) if text is not None else None
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.trees[index] = None
        return self.trees[index]


def _wanted(finding: Finding, module: str, tree: ast.Module | None) -> _Wanted | None:
    match = _PARAM_RE.match(finding.message)
    owner = finding.symbol.split(".")[0]
    if match is None or tree is None or not owner:
        return None
    return _init_param(tree, owner, module, match.group(1))


def _owners(wanted: _Wanted, texts: Sequence[bytes | None], modules: Sequence[str], trees: _Trees) -> list[_Wanted]:
    """`wanted` and the same parameter on the subclasses of its owner that pass it on to it.

    A subclass without `__init__` takes it at the same position; one whose `__init__` names it
    takes it at its own position; one taking `**kwargs` (and calling `super().__init__`) by keyword.
    """
    owners = [wanted]
    seen = {wanted.owner}
    todo = [wanted.owner]
    while todo:
        base = todo.pop()
        pattern = re.compile(rb"^class\s+(\w+)\s*\([^)]*\b" + re.escape(base.encode()) + rb"\b", re.MULTILINE)
        for k, text in enumerate(texts):
            if text is None or base.encode() not in text:
                continue
            for name in pattern.findall(text):
                sub = name.decode()
                tree = trees.get(k)
                if sub in seen or tree is None:
                    continue
                seen.add(sub)
                cls = next((c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == sub), None)
                if cls is None:
                    continue
                init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
                if init is None:
                    index = wanted.index
                else:
                    positional = [a.arg for a in [*init.args.posonlyargs, *init.args.args]][1:]
                    named = positional + [a.arg for a in init.args.kwonlyargs]
                    if wanted.param in named:
                        index = positional.index(wanted.param) if wanted.param in positional else -1
                    elif init.args.kwarg is not None:
                        index = -1
                    else:
                        continue
                owners.append(_Wanted(sub, modules[k], wanted.param, index))
                todo.append(sub)
    return owners


def _sites(wanted: _Wanted, own: int, texts: Sequence[bytes | None], modules: Sequence[str], trees: _Trees,
           results: Sequence[FileResult]) -> list[_Site]:
    """The classes other files pass as `wanted.param` where they construct its owner (or a subclass)."""
    found: list[_Site] = []
    for built in _site_constructions(wanted, own, texts, modules, trees, results):
        site = _Site(_callee(built.call), built.qualified, f"{results[built.index].path} ({built.scope_name})")
        if site not in found:
            found.append(site)
    return found


@dataclass(frozen=True)
class _Built:
    """One construction of a class passed in: where, the `Cls(...)` call, and its qualified name."""

    index: int
    scope_name: str
    call: ast.Call
    scope: ast.AST
    file: _File
    imports: dict[str, str]
    qualified: str


def _site_constructions(wanted: _Wanted, own: int, texts: Sequence[bytes | None], modules: Sequence[str],
                        trees: _Trees, results: Sequence[FileResult], memo: dict[int, _Parsed] | None = None
                        ) -> list[_Built]:
    """`memo`: each file's imports and calls, kept between calls (many lookups over one tree)."""
    found: list[_Built] = []
    memo = {} if memo is None else memo
    for owner in _owners(wanted, texts, modules, trees):
        name = owner.owner.encode()
        pattern = re.compile(rb"\b" + re.escape(name) + rb"\b")
        for k, text in enumerate(texts):
            if k == own or text is None or name not in text or not pattern.search(text):
                continue
            tree = trees.get(k)
            if tree is None:
                continue
            if any(isinstance(s, ast.ClassDef) and s.name == owner.owner for s in tree.body):
                continue  # a class of that name defined there: not the one imported
            if k not in memo:
                memo[k] = _Parsed(_imports(tree, modules[k], Path(results[k].path).name == "__init__.py"),
                                  _File(tree, {s.name: s for s in tree.body
                                               if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}),
                                  [(scope_name, scope, _calls(scope)) for scope_name, scope in _scopes(tree)])
            parsed = memo[k]
            imports, file = parsed.imports, parsed.file
            for scope_name, scope, calls in parsed.scopes:
                for call in calls:
                    if not _is_owner(call.func, owner, imports):
                        continue
                    arg = _argument(call, owner, scope)
                    if arg is None:
                        continue
                    for built, where in _constructions(arg, scope, file, 0):
                        qualified = _qualified(_callee(built), imports, modules[k], tree)
                        found.append(_Built(k, scope_name, built, where, file, imports, qualified))
    return found


@dataclass(frozen=True)
class _File:
    tree: ast.Module
    functions: dict[str, ast.AST]


@dataclass(frozen=True)
class _Parsed:
    imports: dict[str, str]
    file: _File
    scopes: list[tuple[str, ast.AST, list[ast.Call]]]


def _scopes(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    scopes: list[tuple[str, ast.AST]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes.append((stmt.name, stmt))
        elif isinstance(stmt, ast.ClassDef):
            scopes += [(f"{stmt.name}.{s.name}", s) for s in stmt.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    top = ast.Module(body=[s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))],
                     type_ignores=[])
    return [*scopes, ("module level", top)]


def _calls(scope: ast.AST) -> list[ast.Call]:
    """Calls in a scope, not in functions or classes nested in it."""
    calls: list[ast.Call] = []
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        todo.extend(ast.iter_child_nodes(node))
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    return calls


def _is_owner(func: ast.expr, wanted: _Wanted, imports: dict[str, str]) -> bool:
    """Whether a callee is the owner class of `wanted.module`, as the caller's imports resolve it."""
    name = ast_dotted_name(func)
    if not name or name.rsplit(".", 1)[-1] != wanted.owner:
        return False
    head, _, rest = name.partition(".")
    full = imports.get(head)
    if full is None:
        return False
    full = f"{full}.{rest}" if rest else full
    if full == f"{wanted.module}.{wanted.owner}":
        return True
    # A package re-exporting the class (`from pkg.model import Layer`, defined in pkg/model/layers.py).
    package = full.rsplit(".", 1)[0]
    return full.endswith(f".{wanted.owner}") and bool(package) and wanted.module.startswith(f"{package}.")


def _argument(call: ast.Call, wanted: _Wanted, scope: ast.AST) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == wanted.param:
            return kw.value
    if 0 <= wanted.index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: wanted.index + 1]):
        return call.args[wanted.index]
    for kw in call.keywords:
        if kw.arg is None and isinstance(kw.value, ast.Name):
            value = _dict_entry(scope, kw.value.id, wanted.param)
            if value is not None:
                return value
    return None


def _dict_entry(scope: ast.AST, name: str, key: str) -> ast.expr | None:
    """The value a local dict `name` holds under `key`: `{"key": v}`, `dict(key=v)` or `name["key"] = v`."""
    value: ast.expr | None = None
    for node in ast.walk(scope):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                if isinstance(node.value, ast.Dict):
                    for k, v in zip(node.value.keys, node.value.values):
                        if isinstance(k, ast.Constant) and k.value == key:
                            value = v
                elif isinstance(node.value, ast.Call) and ast_dotted_name(node.value.func) == "dict":
                    value = next((kw.value for kw in node.value.keywords if kw.arg == key), value)
            elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == name
                  and isinstance(target.slice, ast.Constant) and target.slice.value == key):
                value = node.value
    return value


def _constructed(expr: ast.expr, scope: ast.AST, file: _File, depth: int) -> list[str]:
    """Class names an expression constructs: `Cls(...)`, a local variable set to one, a factory's
    return, or a parameter of a function of the file, from the calls of that function in the file."""
    return list(dict.fromkeys(_callee(call) for call, _ in _constructions(expr, scope, file, depth)))


def _callee(call: ast.Call) -> str:
    return ast_dotted_name(call.func).rsplit(".", 1)[-1]


_Construction = tuple[ast.Call, ast.AST]  # a `Cls(...)` call and the scope it is in


def _constructions(expr: ast.expr, scope: ast.AST, file: _File, depth: int) -> list[_Construction]:
    """The `Cls(...)` calls (with their scopes) that `_constructed` names."""
    if depth > _MAX_FACTORY_DEPTH:
        return []
    if isinstance(expr, ast.Name):
        values = [n.value for n in ast.walk(scope) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None
                  and any(isinstance(t, ast.Name) and t.id == expr.id for t in _targets(n))]
        found = [c for v in values if not isinstance(v, ast.Name) for c in _constructions(v, scope, file, depth)]
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and scope.name in file.functions:
            found += [c for caller, arg in _passed(file, scope, expr.id)
                      for c in _constructions(arg, caller, file, depth + 1)]
        return found
    if isinstance(expr, ast.IfExp):
        return _constructions(expr.body, scope, file, depth) + _constructions(expr.orelse, scope, file, depth)
    if not isinstance(expr, ast.Call):
        return []
    callee = _callee(expr)
    factory = file.functions.get(callee)
    if factory is not None:
        returns = [n.value for n in ast.walk(factory) if isinstance(n, ast.Return) and n.value is not None]
        return [c for r in returns for c in _constructions(r, factory, file, depth + 1)]
    return [(expr, scope)] if callee[:1].isupper() else []


def _passed(file: _File, fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> list[tuple[ast.AST, ast.expr]]:
    """(calling scope, argument) for each call of the file's function `fn` that passes `param`."""
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    named = positional + [a.arg for a in fn.args.kwonlyargs]
    if param not in named:
        return []
    wanted = _Wanted(fn.name, "", param, positional.index(param) if param in positional else -1)
    found: list[tuple[ast.AST, ast.expr]] = []
    for _, scope in _scopes(file.tree):
        for call in _calls(scope):
            if isinstance(call.func, ast.Name) and call.func.id == fn.name:
                arg = _argument(call, wanted, scope)
                if arg is not None:
                    found.append((scope, arg))
    return found


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(node.targets) if isinstance(node, ast.Assign) else [node.target]


def _qualified(cls: str, imports: dict[str, str], module: str, tree: ast.Module) -> str:
    if any(isinstance(s, ast.ClassDef) and s.name == cls for s in tree.body):
        return f"{module}.{cls}"
    return imports.get(cls, "")



def _imports(tree: ast.Module, module: str, is_package: bool) -> dict[str, str]:
    table: dict[str, str] = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                table[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom):
            base = qualify(module, "." * stmt.level + (stmt.module or ""), is_package) if stmt.level else (stmt.module or "")
            for alias in stmt.names:
                if alias.name != "*":
                    table.setdefault(alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name)
    return table


class _Counts:
    """Errors and warnings on the code a class reaches: its methods, and the functions of other
    files those call (as the package call graph records them, transitively)."""

    def __init__(self, results: Sequence[FileResult]) -> None:
        self.edges: dict[str, set[str]] = {}
        for r in results:
            for caller, callee in r.calls:
                self.edges.setdefault(caller, set()).add(callee)
        self.by_symbol: dict[str, dict[str, int]] = {}
        for r in results:
            for f in r.findings:
                if f.severity in ("error", "warning") and r.module and f.symbol:
                    by = self.by_symbol.setdefault(f"{r.module}.{f.symbol}", {})
                    by[f.severity] = by.get(f.severity, 0) + 1

    def of(self, qualified_class: str) -> dict[str, int]:
        prefix = f"{qualified_class}."
        seen = {s for s in self.by_symbol if s.startswith(prefix)} | {s for s in self.edges if s.startswith(prefix)}
        todo = list(seen)
        while todo:
            for callee in self.edges.get(todo.pop(), ()):
                if callee not in seen:
                    seen.add(callee)
                    todo.append(callee)
        total: dict[str, int] = {}
        for symbol in seen:
            for severity, n in self.by_symbol.get(symbol, {}).items():
                total[severity] = total.get(severity, 0) + n
        return total


def _message(message: str, sites: list[_Site], by_module: dict[str, int], results: Sequence[FileResult],
             counts: _Counts | None) -> str:
    grouped: dict[tuple[str, str], list[str]] = {}
    for site in sites:
        grouped.setdefault((site.cls, site.qualified), []).append(site.where)
    parts = []
    for (cls, qualified), places in list(grouped.items())[:_MAX_NAMED]:
        index = by_module.get(qualified.rpartition(".")[0])
        if index is None:
            state = "not in the scanned files"
        elif counts is None:
            state = results[index].path
        else:
            by = counts.of(qualified)
            found = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s in ("error", "warning") if (n := by.get(s, 0)))
            state = f"{results[index].path}: {found or 'no error or warning'} on the code it reaches"
        name = qualified.rpartition(".")[2] or cls  # the class itself, not an import alias of it
        parts.append(f"{name} ({state}; built in {', '.join(places)})")
    more = f"; and {len(grouped) - _MAX_NAMED} more" if len(grouped) > _MAX_NAMED else ""
    return message[: -len(NO_LOCAL_SITE)] + ". Other files pass in " + "; ".join(parts) + more


def resolve_injected_links(results: list[FileResult], paths: Sequence[Path], texts: Sequence[bytes | None]
                           ) -> list[FileResult]:
    """Results whose links to a module passed in (`?Owner:param`, `?Owner:param.member`, as the
    analysis records `self.transformer.encoder(...)`) point at the classes other files pass there:
    `pkg.mod.Cls.forward`, or `pkg.mod.Cls.member` for a method. Unresolved ones are dropped.
    The entry-point graph reads these links; the analysis never does."""
    if not any(r.links for r in results):
        return results
    resolver = _Resolver(results, paths, texts)
    out = []
    for i, r in enumerate(results):
        if not r.links:
            out.append(r)
            continue
        links: set[tuple[str, str]] = set()
        for caller, target in r.links:
            if not target.startswith(INJECTED_MARK):
                links.add((caller, resolver.defining(target)))
                continue
            owner, _, rest = target[len(INJECTED_MARK):].partition(":")
            param, _, member = rest.partition(".")
            links.update((caller, resolver.defining(t)) for t in resolver.targets(i, owner, param, member))
        out.append(replace(r, links=tuple(sorted(links))))
    return out


class _Resolver:
    """What a passed-in module is, across files (each (file, class, parameter) looked up once)."""

    def __init__(self, results: Sequence[FileResult], paths: Sequence[Path], texts: Sequence[bytes | None]) -> None:
        self.results = results
        self.texts = texts
        self.modules = module_names(list(paths))
        self.by_module = {m: i for i, m in enumerate(self.modules) if m}
        self.trees = _Trees(texts)
        self.memo: dict[tuple[int, str, str], list[_Built]] = {}
        self.parsed: dict[int, _Parsed] = {}
        self.imports: dict[int, dict[str, str]] = {}

    def defining(self, target: str) -> str:
        """`pkg.mod.Cls.method` as the class that defines the method names it (a subclass that
        inherits `forward` from a base in its file or another scanned file: the base's)."""
        return self._definer(target, 0) or target

    def _definer(self, target: str, depth: int) -> str | None:
        qualified, _, method = target.rpartition(".")
        found = self._class(qualified)
        if found is None:
            return None
        index, node = found
        if _has_method(node, method):
            return target
        if depth > _MAX_BASES:
            return None
        module = self.modules[index]
        tree, imports = self.trees.get(index), self._imports(index)
        for base in node.bases:
            name = ast_dotted_name(base)
            head, _, rest = name.partition(".")
            if tree is not None and any(isinstance(s, ast.ClassDef) and s.name == name for s in tree.body):
                base_class = f"{module}.{name}"
            elif head in imports:
                base_class = f"{imports[head]}.{rest}" if rest else imports[head]
            else:
                continue
            definer = self._definer(f"{base_class}.{method}", depth + 1)
            if definer is not None:
                return definer
        return None

    def _class(self, qualified: str) -> tuple[int, ast.ClassDef] | None:
        """The scanned file and class statement of `pkg.mod.Cls`."""
        module, _, name = qualified.rpartition(".")
        index = self.by_module.get(module)
        tree = self.trees.get(index) if index is not None else None
        node = next((s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == name), None) if tree else None
        return (index, node) if index is not None and node is not None else None

    def _imports(self, index: int) -> dict[str, str]:
        if index not in self.imports:
            tree = self.trees.get(index)
            is_package = Path(self.results[index].path).name == "__init__.py"
            self.imports[index] = _imports(tree, self.modules[index], is_package) if tree is not None else {}
        return self.imports[index]

    def targets(self, index: int, owner: str, param: str, member: str) -> list[str]:
        found = []
        for built in self.passed(index, owner, param):
            if not built.qualified:
                continue
            found += [f"{built.qualified}.forward"] if not member else self._member(built, member)
        return list(dict.fromkeys(found))

    def passed(self, index: int, owner: str, param: str) -> list[_Built]:
        """The constructions other files pass as `param` to `owner` (defined in file `index`)."""
        key = (index, owner, param)
        if key not in self.memo:
            self.memo[key] = []
            tree = self.trees.get(index)
            wanted = _init_param(tree, owner, self.modules[index], param) if tree is not None else None
            if wanted is not None:
                self.memo[key] = _site_constructions(wanted, index, self.texts, self.modules, self.trees, self.results,
                                                     self.parsed)
        return self.memo[key]

    def _member(self, built: _Built, member: str) -> list[str]:
        """`Cls.member` when it is a method of the class `built` makes; else the class
        `self.member` holds, as this construction fills it (`Wrapper(encoder=Enc())`)."""
        found = self._class(built.qualified)
        if found is None:
            return []
        index, node = found
        module, _, name = built.qualified.rpartition(".")
        tree = self.trees.get(index)
        if _has_method(node, member):
            return [f"{built.qualified}.{member}"]
        init = next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
        if init is None:
            return []
        values = [n.value for n in ast.walk(init) if isinstance(n, ast.Assign) and len(n.targets) == 1
                  and ast_dotted_name(n.targets[0]) == f"self.{member}"]
        if len(values) != 1:
            return []
        value = values[0]
        if isinstance(value, ast.Name) and tree is not None:
            wanted = _init_param(tree, name, module, value.id)
            arg = _argument(built.call, wanted, built.scope) if wanted is not None else None
            if arg is None:
                return []
            caller_tree = built.file.tree
            return [f"{q}.forward" for c, _ in _constructions(arg, built.scope, built.file, 0)
                    if (q := _qualified(_callee(c), built.imports, self.modules[built.index], caller_tree))]
        if isinstance(value, ast.Call) and tree is not None:
            qualified = _qualified(_callee(value), self._imports(index), module, tree)
            return [f"{qualified}.forward"] if qualified else []
        return []


def _has_method(node: ast.ClassDef, name: str) -> bool:
    return any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name for s in node.body)


def _init_param(tree: ast.Module, owner: str, module: str, param: str) -> _Wanted | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == owner:
            init = next((s for s in stmt.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
            if init is None:
                return None
            positional = [a.arg for a in [*init.args.posonlyargs, *init.args.args]][1:]
            if param not in positional and param not in [a.arg for a in init.args.kwonlyargs]:
                return None
            return _Wanted(owner, module, param, positional.index(param) if param in positional else -1)
    return None
