"""The rich view of a fix report: what was frozen, then max abs/rel error per case and output."""

from __future__ import annotations

import os
from typing import Any

from rich.table import Table
from rich.text import Text

from exportlint.fix_model import ExporterVerdict, FixReport, Manual
from exportlint.report.terminal import make_console


def render_fix_report(report: FixReport) -> None:
    """Print the notes, manual-work items, the verification table and the verdict."""
    console = make_console()
    console.print(Text(f"exportlint fix {report.target}", style="bold"))
    for note in report.notes:
        where = (f":{note.path}" if note.path else "") + (f":{note.line}" if note.line else "")
        console.print(Text.assemble(("  frozen/rewritten ", "cyan"), f"[{note.rule}{where}] ",
                                    note.text), soft_wrap=True)
    for item in report.manual:
        console.print(Text.assemble(("  manual work ", "bold yellow"),
                                    f"[{item.rule}:{_at(item)} {item.symbol}] ",
                                    item.reason), soft_wrap=True)
    verification = report.verification
    for site in verification.coverage if verification else ():
        style = "green" if site.both else "yellow"
        console.print(Text.assemble(("  branch ", style), f"line {site.line} `{site.test}`: "
                                    f"true in {', '.join(site.when_true) or 'none'}; "
                                    f"false in {', '.join(site.when_false) or 'none'}"), soft_wrap=True)
        if site.iterations:
            counts = ", ".join(f"{case} {n}" for case, n in site.iterations)
            console.print(Text.assemble(("  loop ", style), f"line {site.line} iterations run: {counts}"),
                          soft_wrap=True)
    for verdict in verification.exporters if verification else ():
        # NOTE: the path is printed whole (soft wrap), never as a table title that rich would cut.
        console.print(Text.assemble((f"{verdict.exporter}: ", "italic"), verdict.onnx_path), soft_wrap=True)
        if not verdict.export_ok:
            console.print(Text(f"  export failed: {verdict.export_error}", style="red"), soft_wrap=True)
            continue  # no graph: no parity table
        console.print(_table(verdict))
        if not verdict.check_ok:
            console.print(Text(f"  onnx.checker: {verdict.check_error}", style="red"), soft_wrap=True)
    _verdict(console, report)


def _table(verdict: ExporterVerdict) -> Table:
    table = Table()
    for column in ("case", "output", "max abs", "max rel", "ok"):
        table.add_column(column, justify="right" if column.startswith("max") else "left")
    for case in verdict.cases:
        if case.error or not case.outputs:
            status = "eager rejects" if case.eager_failed else "FAIL"
            table.add_row(case.case, case.error[:60], "", "", status)
            continue
        for i, out in enumerate(case.outputs):
            table.add_row(case.case if i == 0 else "", out.name, f"{out.max_abs:.2e}",
                          f"{out.max_rel:.2e}", "ok" if out.ok else f"FAIL {out.detail}")
    return table


def failure_reason(report: FixReport) -> str:
    """Why a fix did not pass, in one line: the first thing that stopped it."""
    verification = report.verification
    if report.manual:
        first = report.manual[0]
        more = f" (and {len(report.manual) - 1} more)" if len(report.manual) > 1 else ""
        where = f"{first.path}:{first.line}" if first.path else f"line {first.line}"
        return f"manual work left at {where} ({first.rule}){more}"
    if verification is None:
        return "the wrapper was not verified"
    for verdict in verification.exporters:
        if not verdict.export_ok:
            return f"the {verdict.exporter} export failed"
        if not verdict.check_ok:
            return f"onnx.checker rejects the {verdict.exporter} graph"
        bad = [c.case for c in verdict.cases if not (c.ok or c.eager_failed)]
        if bad:
            return f"onnxruntime differs from eager ({verdict.exporter}) on {', '.join(bad)}"
    return "verification did not pass"


def _verdict(console: Any, report: FixReport) -> None:
    verification = report.verification
    exporters = verification.exporters if verification else ()
    # An export that failed wrote no graph: list only the files there are to inspect.
    onnx = [v.onnx_path for v in exporters if v.onnx_path and os.path.exists(v.onnx_path)]
    files = [report.wrapper_path, *onnx, report.report_path]
    if verification is not None and verification.ok:
        console.print(Text(f"PASSED (rtol={verification.rtol}, atol={verification.atol})",
                           style="bold green"))
        for site in verification.coverage:
            if not site.both:
                never = "true" if not site.when_true else "false"
                console.print(Text(f"  unverified: line {site.line} `{site.test}` was {never} on no case "
                                   "tried (neither the example nor a perturbed input took it): the "
                                   "wrapper is checked on the other outcome only", style="yellow"), soft_wrap=True)
    else:
        console.print(Text(f"FAILED: {failure_reason(report)}; files left for inspection", style="bold red"),
                      soft_wrap=True)
    for path in files:
        if path:
            console.print(f"  {path}", soft_wrap=True)


def _at(item: Manual) -> str:
    return f"{item.path}:{item.line}" if item.path else str(item.line)
