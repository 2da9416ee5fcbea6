"""The project's layout: nothing in it hides a module of the standard library."""

import sys

from conftest import ROOT


def test_no_script_or_package_shadows_the_standard_library():
    # `python benchmarks/x.py` puts benchmarks/ first on the import path: a benchmarks/numbers.py
    # once broke every benchmark there, since numpy imports the standard library's `numbers`.
    folders = [ROOT, *(p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("."))]
    names = {f.stem for folder in folders for f in folder.glob("*.py")} | {p.name for p in ROOT.iterdir() if p.is_dir()}
    assert not names & set(sys.stdlib_module_names), names & set(sys.stdlib_module_names)
