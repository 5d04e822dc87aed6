"""probe: run the real exporters on a target and turn what they do into findings.

torch is imported inside functions only, and every target runs in its own child process.

Entry points
------------
    command.add_arguments(parser) / command.run(args) -> int        `exportlint probe`
    options.ProbeOptions(target, exporter="both", depth=1, fx=False, rtol, atol,
                         timeout=300.0, seed=0, dynamic={"x": {0: "batch"}})
    runner.probe_all(options, jobs=1, on_done=None) -> list[(ProbeReport, child output)]
    runner.probe_one(options) -> (ProbeReport, child output)
    judge.judge(static_findings, report) -> list[Finding]             verdicts (pure)
    exportlint.probe_model.ProbeReport                               the report (model layer)
    exportlint.report.probe_json.render_probe_json(reports, judged)  the "probe JSON"
    exportlint.report.terminal.probe.render_reports(reports, console) rich steps/findings/tree
    exportlint.target.load_target("file.py:make" | "pkg.mod:make")  in-process loading (shared with fix)
    outcome.outcome_of(verify_report, other_paths=()) -> Outcome     fails/wrong/specialized/ok
    exportlint.rules.catalog.code_for / probe_hint                   codes and hints of what it reports

`scan --probe` = `scan_paths` + `probe_all` + `judge` per target on the target's files.
"""
