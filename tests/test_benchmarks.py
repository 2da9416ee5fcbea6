"""The benchmark scripts say in a sentence what data is missing, never with a traceback."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

NEED_DATA = ["canvas_style", "framings", "mnist_stroke_ratio", "not_sure", "personal", "real_pen", "renderer_fidelity",
             "thin_strokes", "whole_numbers", "number_in_digit_mode", "mouse_drawn"]


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


def test_the_mouse_drawn_benchmark_reads_each_way_of_drawing_the_held_out_digits(tmp_path, capsys):
    import json

    import numpy as np
    from conftest import benchmark
    from test_model import write_pen_file

    from sources.pen import load_pen_digits, split_by_writer

    module = benchmark("mouse_drawn")
    pen = write_pen_file(tmp_path / "pen.json.gz")
    _, held = split_by_writer(load_pen_digits(pen))
    # Each way changes the paths (but leaves the digits it was given alone), and "as written" none.
    for name, function in module.CONDITIONS:
        drawn = module.as_drawn(held, function, seed=1)
        assert [d.label for d in drawn] == [d.label for d in held]
        same = all(np.array_equal(a, b) for d, e in zip(drawn, held) for a, b in zip(d.strokes, e.strokes))
        assert same == (function is None), name
    picture = module.sheet(held, seed=0)
    assert picture.dtype == np.uint8 and picture.shape == (len(module.CONDITIONS) * 86, 190 + 2 * 86)  # a 1 and a 7
    assert module.main(["--arch", "cnn", "--pen-data", str(pen), "--json"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    results = json.loads(printed[-1])["cnn"]
    assert list(results) == [name for name, _ in module.CONDITIONS]
    for r in results.values():
        assert r["n"] == 6 * len(held)  # each digit at each width and size
        assert 0.5 <= r["both"] <= 1 and 0.5 <= r["image"] <= 1 and r["pen"] is not None
    assert sum(line.startswith("CNN ") for line in printed) == len(module.CONDITIONS)
