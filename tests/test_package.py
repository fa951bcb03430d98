"""The package installs whole: a wheel, installed into a fresh environment away from the source tree,
runs the demo and serves its archive with the plugins and templates it ships.

The fresh environment gets the wheel alone (``--no-deps``); its dependencies are read from the
project's environment through a path file, which adds that folder to ``sys.path`` without running
the path files inside it: so the project's own editable install stays out, and ``crawler`` can only
come from the wheel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import PROJECT, free_port


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh environment holding policyarchive's wheel."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(work / "dist"), str(PROJECT)], check=True, cwd=work)
    [wheel] = (work / "dist").glob("policyarchive-*.whl")
    fresh = work / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(fresh / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, cwd=work)
    site = subprocess.run([str(fresh / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return fresh / "bin"


def run_env() -> dict:
    """This environment, less what would point Python at the source tree or the project's venv."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_the_installed_package_is_the_wheel_not_the_source_tree(installed, tmp_path):
    where = subprocess.run([str(installed / "python"), "-c", "import crawler; print(crawler.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path, env=run_env()).stdout
    assert Path(where.strip()).is_relative_to(installed.parent)


def test_the_installed_package_runs_the_demo_and_serves_it_with_its_pages(installed, tmp_path):
    db = tmp_path / "demo.db"
    demo = subprocess.run([str(installed / "policyarchive"), "demo", "--no-serve", "--db", str(db), "--port", str(free_port())],
                          capture_output=True, text=True, cwd=tmp_path, env=run_env(), timeout=300)
    assert demo.returncode == 0, demo.stderr[-3000:]

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(installed / "policyarchive"), "serve", "--db", str(db), "--port", str(port)],
                                  cwd=tmp_path, env=run_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        home = _get(f"http://127.0.0.1:{port}/", server, log)
        [diff_path] = re.findall(r"demo: the change: http://[^/]+(/-/diff/\d+/\d+)", demo.stderr)
        diff = _get(f"http://127.0.0.1:{port}{diff_path}", server, log)
    finally:
        server.terminate()
        server.wait(10)
    assert "Lumen" in home and "Search" in home
    assert "biometric" in diff.lower()


def _get(url: str, server: subprocess.Popen, log: Path) -> str:
    """The page at ``url`` once the server answers (it may still be starting); fail if it exits."""
    for _ in range(300):
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within 30 s")
