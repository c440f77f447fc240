"""Loading the definitions does not import what only the cost report needs (altair, vl-convert)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from pipelines.definitions import defs
defs()
heavy = sorted(name for name in ("altair", "vl_convert") if name in sys.modules)
print(",".join(heavy) or "none")
"""


def test_loading_the_definitions_leaves_the_report_libraries_unimported():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "none"
