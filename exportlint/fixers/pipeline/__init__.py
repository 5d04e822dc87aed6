"""`exportlint fix`: `command` (the parent: arguments, overwrite checks, report) runs `run` in a
child process, which builds the target and plans the wrapper (`build`), writes it (`files`) and
verifies it on onnxruntime against the eager original (`verification`, `coverage`)."""
