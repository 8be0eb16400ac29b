"""Packaging hooks: labextension paths, server extension points, the enabling config file."""

from __future__ import annotations

import json
from pathlib import Path

import mlinfn_lab

REPO = Path(__file__).resolve().parent.parent


def test_labextension_paths_list_every_package(monkeypatch, tmp_path) -> None:
    root = tmp_path / "labextensions" / "@mlinfn"
    for name in ("monitor", "common", "burst"):
        (root / name).mkdir(parents=True)
    (root / "stray-file.txt").write_text("")
    monkeypatch.setattr(mlinfn_lab, "LABEXTENSIONS", root)
    assert mlinfn_lab._jupyter_labextension_paths() == [
        {"src": f"labextensions/@mlinfn/{n}", "dest": f"@mlinfn/{n}"}
        for n in ("burst", "common", "monitor")
    ]
    monkeypatch.setattr(mlinfn_lab, "LABEXTENSIONS", tmp_path / "absent")
    assert mlinfn_lab._jupyter_labextension_paths() == []


def test_server_extension_point_and_config() -> None:
    assert mlinfn_lab._jupyter_server_extension_points() == [{"module": "mlinfn_lab.extension"}]
    config = json.loads((REPO / "jupyter-config" / "server-config" / "mlinfn_lab.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"mlinfn_lab": True}}}


def _jupyter(*args: str) -> str:
    """Run a ``jupyter`` subcommand of this environment outside the source tree."""
    import os
    import subprocess
    import sys
    import tempfile

    # Outside the checkout, so the installed package is what Python imports, not ./mlinfn_lab.
    cwd = tempfile.mkdtemp()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )
    return done.stdout + done.stderr


def test_installed_wheel_is_enabled_and_ok() -> None:
    """What an administrator checks after ``pip install mlinfn-lab``: every part enabled and OK,
    installed as files from the wheel (not a development symlink into this checkout)."""
    import re
    import sys

    plain = lambda text: re.sub(r"\x1b\[[0-9;]*m", "", text)  # noqa: E731 - strip colours
    labext = plain(_jupyter("labextension", "list"))
    built = sorted(p.name for p in (REPO / "mlinfn_lab" / "labextensions" / "@mlinfn").iterdir())
    assert built, "build the extensions first (scripts/setup.sh)"
    for name in built:
        assert re.search(rf"@mlinfn/{name} v[\d.]+ enabled OK", labext), labext
    serverext = plain(_jupyter("server", "extension", "list"))
    for module in ("mlinfn_lab", "jupyter_server_proxy"):
        assert re.search(rf"{module} enabled", serverext), serverext
        assert re.search(rf"{module} [\d.]+ OK", serverext), serverext

    share = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@mlinfn"
    for name in built:
        installed = share / name
        assert installed.is_dir() and not installed.is_symlink(), installed
        assert (installed / "package.json").is_file()
