"""Session-wide setup for every test directory."""

from __future__ import annotations

import os
from pathlib import Path

# jsii (started by the first `import aws_cdk`) runs on the first `node` on PATH. Put the pinned Node 22 of
# package.json there, so `pytest` outside make does not use the system's end-of-life Node 20 and print its banner.
_NODE_BIN = Path(__file__).resolve().parents[1] / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
