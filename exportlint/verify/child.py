"""Child entry point: `python -m exportlint.verify.child REQUEST.json RESPONSE.json`.

Reads `{"function": "pkg.mod:name", "payload": ...}`, calls the function and writes
`{"ok": true, "data": ...}` or `{"ok": false, "error": "one line"}` atomically.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import Any

from exportlint.errors import ExportlintError


def _call(request: dict[str, Any]) -> dict[str, Any]:
    module_name, _, attribute = str(request["function"]).partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    try:
        return {"ok": True, "data": function(request.get("payload"))}
    except ExportlintError as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:  # noqa: BLE001 - reported to the parent as one line
        traceback.print_exc()
        first = (str(error).strip().splitlines() or [""])[0]
        return {"ok": False, "error": f"{type(error).__name__}: {first}".rstrip(": ")}


def main(argv: list[str]) -> int:
    request_path, response_path = argv
    from exportlint.verify.isolate import PARENT_ENV, USER_PATH_ENV

    user_path = os.environ.get(USER_PATH_ENV, "")
    sys.path.extend(p for p in user_path.split(os.pathsep) if p and p not in sys.path)
    parent = os.environ.get(PARENT_ENV, "")
    if parent.isdigit():
        from exportlint.lifecycle import die_with_parent

        die_with_parent(int(parent))  # never outlive an exportlint killed with SIGKILL
    with open(request_path, encoding="utf-8") as handle:
        reply = _call(json.load(handle))
    tmp = response_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(reply, handle, default=str)
    os.replace(tmp, response_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
