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
