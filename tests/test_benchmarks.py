"""The benchmark scripts say in a sentence what data is missing, never with a traceback."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

NEED_DATA = ["canvas_style", "framings", "mnist_stroke_ratio", "not_sure", "personal", "real_pen", "renderer_fidelity",
             "thin_strokes", "whole_numbers", "number_in_digit_mode"]


@pytest.fixture(scope="module")
def without_data(tmp_path_factory):
    """Each script's (return code, stderr), run at once with MNIST and the pen data pointed at an empty folder."""
    empty = tmp_path_factory.mktemp("no-data")
    env = {**os.environ, "MNIST_DIR": str(empty), "DIGILETS": str(empty / "digits.json.gz")}
    runs = {name: subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / f"{name}.py")], cwd=empty, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for name in NEED_DATA}
    return {name: (p.wait(timeout=300), p.stderr.read()) for name, p in runs.items()}


@pytest.mark.parametrize("name", NEED_DATA)
def test_a_benchmark_without_its_data_says_what_is_missing(without_data, name):
    code, err = without_data[name]
    assert code != 0
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("error: ") and ("MNIST" in err or "pen data" in err), err
