"""JUnit XML, which CI systems show as test results: a test suite per file, a test case per finding.

Errors and warnings are failures; info findings are passing test cases that carry their message,
since they do not stop an export. A file that could not be read is a test case in error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from exportlint.model import FileResult, Finding

FAILING = ("error", "warning")


def render_junit(results: Sequence[FileResult]) -> str:
    """The whole report: one `<testsuites>`; a passing "no findings" case when there is nothing to say."""
    root = ET.Element("testsuites", name="exportlint")
    for result in results:
        if result.error is not None or result.findings:
            root.append(_suite(result))
    if not len(root):
        suite = ET.SubElement(root, "testsuite", name="exportlint", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="no findings", classname="exportlint")
    _count(root, root.findall("testsuite"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(result: FileResult) -> ET.Element:
    suite = ET.Element("testsuite", name=result.path)
    if result.error is not None:
        case = ET.SubElement(suite, "testcase", name="read and parse", classname=result.path)
        ET.SubElement(case, "error", message=result.error)
    for f in result.findings:
        suite.append(_case(f))
    _count(suite, [suite])
    return suite


def _case(f: Finding) -> ET.Element:
    loc = f.location
    case = ET.Element("testcase", name=f"{f.code} {f.rule} at {loc.line}:{loc.column + 1}",
                      classname=f.symbol or loc.path, file=loc.path, line=str(loc.line))
    text = f"{loc.path}:{loc.line}:{loc.column + 1}: {f.message}" + (f"\nhint: {f.hint}" if f.hint else "")
    if f.severity in FAILING:
        failure = ET.SubElement(case, "failure", message=f.message, type=f.severity)
        failure.text = text
    else:
        ET.SubElement(case, "system-out").text = text
    return case


def _count(element: ET.Element, suites: Sequence[ET.Element]) -> None:
    cases = [c for s in suites for c in s.iter("testcase")]
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
