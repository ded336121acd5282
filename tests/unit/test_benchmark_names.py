"""`python benchmarks/<script>.py` puts benchmarks/ first on sys.path, so a helper named like a module of the
standard library or of the environment (benchmarks/_socket.py did: the stdlib's `_socket`) breaks every import."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_no_benchmark_module_shadows_the_standard_library_or_an_installed_module():
    names = sorted(path.stem for path in BENCHMARKS.glob("*.py") if path.stem != "__init__")
    shadowing = [name for name in names if name in sys.stdlib_module_names or importlib.util.find_spec(name)]
    assert "cockpit" in names
    assert shadowing == []
