"""Loss plots: the helper process draws the same PNG as the trainer would, and is started
only where it saves the trainer something (matplotlib not imported yet)."""

from __future__ import annotations

import time

from seqgen import plotting

HISTORY = [{"epoch": 1, "train_loss": 3.2, "val_loss": 3.4},
           {"epoch": 2, "train_loss": 2.5, "val_loss": 2.9}]


def test_the_helper_draws_the_png_the_process_would():
    helper = plotting._Helper()
    try:
        png = helper.draw(HISTORY, "a run", "epoch")
    finally:
        helper.close()
    assert helper.proc.returncode == 0
    assert png is not None and png.startswith(b"\x89PNG")
    assert png == plotting.draw_png(HISTORY, "a run", "epoch")


def test_the_helper_starts_only_while_matplotlib_is_not_imported(monkeypatch):
    plotting.draw_png(HISTORY, "imports matplotlib here")
    assert plotting.matplotlib_loaded()
    monkeypatch.setattr(plotting, "HELPER_AFTER", 0.0)
    started = []
    monkeypatch.setattr(plotting, "_Helper", lambda: started.append(time.time()) or "helper")
    with plotting.plot_helper() as plotter:
        plotter.tick()
        assert "helper" not in plotting._active and plotter.started
    assert started == []
    monkeypatch.setattr(plotting, "matplotlib_loaded", lambda: False)
    with plotting.plot_helper() as plotter:
        plotter.tick()
        assert plotting._active.pop("helper") == "helper"
    assert len(started) == 1
