"""``make stop`` (deploy.stop, issue 29 item 11): stops the app make started on a port, and nothing else."""

from __future__ import annotations

import subprocess
import sys
import time

from deploy import stop as stopper
from tests.conftest import REPO


def _sleeper(marker: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker])


def test_stop_signals_the_app_named_in_the_pid_file_and_removes_the_file(tmp_path):
    app = _sleeper("ui.serve")
    try:
        time.sleep(0.3)
        stopper.pid_file(8599, tmp_path).write_text(str(app.pid))
        said = stopper.stop(8599, tmp_path, wait_s=10)
        assert app.wait(timeout=10) is not None and "stopped" in said
        assert not stopper.pid_file(8599, tmp_path).exists()
    finally:
        app.kill()


def test_a_stale_pid_file_of_another_program_is_removed_without_a_signal(tmp_path):
    other = _sleeper("something-else")
    try:
        time.sleep(0.3)
        stopper.pid_file(8599, tmp_path).write_text(str(other.pid))
        said = stopper.stop(8599, tmp_path, wait_s=1)
        assert other.poll() is None and "stale" in said
        assert not stopper.pid_file(8599, tmp_path).exists()
    finally:
        other.kill()
    assert "nothing started" in stopper.stop(8599, tmp_path)


def test_make_stop_without_a_running_app_says_so():
    done = subprocess.run(["make", "-s", "stop", "PORT=8597"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "nothing started by make on port 8597" in done.stderr, done.stderr
