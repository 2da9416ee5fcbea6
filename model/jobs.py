"""A fine-tune running beside the app: `python -m model.finetune` in its own process.

A separate process, on CPU time nothing else wants, so the app keeps answering other
people's drawings at its usual speed while the network trains (torch would
otherwise take every core, and a thread would also hold Python's lock).
The job reads the CLI's "progress" lines and its final JSON line.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def fine_tune_command(arch: str, source: list[str], out: str | os.PathLike, extra: list[str] | None = None) -> list[str]:
    """The argv of the fine-tune CLI for `source` (["--db", PATH, "--profile", P] or ["--images", DIR])."""
    return [sys.executable, "-m", "model.finetune", "--arch", arch, *source, "--out", str(out),
            "--progress", "--json", "--background", *(extra or [])]


class FineTuneJob:
    """One running fine-tune; poll fraction, message, eta(), done, result and error."""

    def __init__(self, command: list[str], env: dict | None = None):
        self.command = command
        self.started = time.time()
        self.fraction, self.message = 0.0, "starting"
        self.result: dict | None = None
        self.error: str | None = None
        self._lines: list[str] = []
        self._proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, bufsize=1)
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self._readers:
            t.start()

    def _read_stdout(self) -> None:
        for line in self._proc.stdout:
            if line.startswith("progress "):
                _, fraction, *message = line.rstrip("\n").split(" ", 2)
                self.fraction, self.message = float(fraction), (message[0] if message else "")
            elif line.startswith("{"):
                try:
                    parsed = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "error" in parsed:
                    self.error = str(parsed["error"])
                else:
                    self.result = parsed

    def _read_stderr(self) -> None:
        for line in self._proc.stderr:
            self._lines = (self._lines + [line.rstrip("\n")])[-20:]

    @property
    def done(self) -> bool:
        finished = self._proc.poll() is not None and not any(t.is_alive() for t in self._readers)
        if finished and self.result is None and self.error is None:
            errors = [line.removeprefix("error: ") for line in self._lines if line.startswith("error: ")]
            self.error = errors[-1] if errors else (f"The fine-tune stopped unexpectedly (exit {self._proc.returncode}). "
                                                    + (self._lines[-1] if self._lines else ""))
        return finished

    @property
    def seconds(self) -> float:
        return time.time() - self.started

    def eta(self) -> float | None:
        """Seconds left, extrapolated from progress so far (None before the first step)."""
        if self.fraction <= 0.02:
            return None
        return self.seconds * (1 - self.fraction) / self.fraction

    def wait(self, timeout: float | None = None) -> bool:
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        for t in self._readers:
            t.join(timeout=5)
        return self.done

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
