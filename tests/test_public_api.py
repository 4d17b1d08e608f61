"""The public API is what __all__ lists, and the library stays free of UI and pickle."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import varlib

ROOT = Path(__file__).resolve().parents[1]


def test_all_names_are_exported_and_nothing_else_is_public() -> None:
    for name in varlib.__all__:
        assert hasattr(varlib, name), name
    # Submodules show up as attributes once imported anywhere; they are not part of the flat API.
    public = {n for n in dir(varlib) if not n.startswith("_") and not isinstance(getattr(varlib, n), types.ModuleType)}
    assert public == set(varlib.__all__) - {"__version__"}


def test_library_imports_neither_streamlit_nor_pickle() -> None:
    code = "import sys, varlib, varlib.cli; print(sorted({'streamlit', 'pickle'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "streamlit" not in done.stdout
    sources = "\n".join(p.read_text() for p in (ROOT / "varlib").rglob("*.py"))
    assert "import pickle" not in sources and "pickle.load" not in sources
