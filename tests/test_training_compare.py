"""Train new model… and Compare models…, driven through their dialogs; the report command."""

import json
import multiprocessing
import os
import signal

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_cvae.catalog import default_model_path, list_models, training_stages
from desktop_cvae.cli import main
from desktop_cvae.gui.compare_dialog import CompareDialog
from desktop_cvae.gui.main_window import MainWindow
from desktop_cvae.gui.training_dialog import TrainingDialog
from desktop_cvae.resources import resource_path, shipped_models_dir
from desktop_cvae.storage import load_model

SAMPLE = str(resource_path("mnist_sample.npz"))


@pytest.fixture(autouse=True)
def no_training_process_left_behind():
    yield
    # Training runs in child processes: every test must end with them gone, whatever way it stopped.
    assert multiprocessing.active_children() == []


def configure(dialog, epochs=1, batch=50):
    dialog.name_edit.setText("dialog test")
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("mlp"))
    dialog.latent_spin.setValue(2)
    dialog.epochs_spin.setValue(epochs)
    dialog.batch_spin.setValue(batch)
    dialog.file_radio.setChecked(True)
    dialog.file_edit.setText(SAMPLE)


def test_the_dialog_offers_the_learning_rate_schedules(qtbot, tmp_path):
    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("conv"))
    assert "constant" in dialog.schedule_combo.itemText(0) and dialog.config().lr_schedule == "constant"
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("deepconv"))
    assert "cosine" in dialog.schedule_combo.itemText(0) and dialog.config().lr_schedule == "cosine"
    dialog.schedule_combo.setCurrentIndex(dialog.schedule_combo.findData("constant"))
    assert dialog.config().lr_schedule == "constant"


@pytest.mark.slow
def test_one_epoch_training_through_the_dialog(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.show()
    configure(dialog)
    dialog.sample_radio.setChecked(True)  # the shipped sample, by name rather than by file
    with qtbot.waitSignal(dialog.model_trained, timeout=120_000) as trained:
        dialog.train_button.click()
    path, activate = trained.args
    assert activate
    dialog.worker.wait()
    p = dialog.last_progress
    assert p is not None and p.step == p.steps and p.epoch == 0
    assert "weakest digit" in dialog.status.text()  # each class's accuracy, from the test split's confusion matrix
    assert len(dialog.epoch_reports) == 1 and dialog.epoch_reports[0].previews.shape == (10, 28, 28)
    assert dialog.progress.value() == 1000 and "Done" in dialog.status.text()
    assert not dialog.curves.pixmap().isNull()  # the live loss curves were shown
    model, meta = load_model(path)
    assert model.config.name == "dialog test" and meta["metrics"]["n"] == 1000
    assert any(e.path.name == path.split("/")[-1] and not e.shipped for e in list_models(tmp_path / "models"))


@pytest.mark.slow
def test_cancel_mid_epoch_leaves_nothing_and_keeps_the_active_model(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, models_dir=tmp_path / "models")
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.state.model_changed, timeout=60_000):  # handled by the window, not only sent
        window.load_model(str(default_model_path()))
    active = window.state.model_info["path"]
    window.open_training_dialog()
    dialog = window.training_dialog
    configure(dialog, epochs=50, batch=20)
    dialog.train_button.click()
    qtbot.waitUntil(lambda: dialog.last_progress is not None, timeout=60_000)
    with qtbot.waitSignal(dialog.worker.cancelled, timeout=30_000):
        dialog.cancel_button.click()
        # Until the training has stopped, the dialog says so, and Cancel cannot be pressed again.
        assert "Stopping" in dialog.status.text() and not dialog.cancel_button.isEnabled()
    dialog.worker.wait()
    assert "cancelled" in dialog.status.text()
    assert not list((tmp_path / "models").glob("*")), "a cancelled training must leave no file"
    assert window.state.model_info["path"] == active
    window.close()
    # The next session's dialog starts from the settings and data of the last training started.
    again = TrainingDialog(tmp_path / "models", settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    cfg = again.config()
    assert (cfg.arch, cfg.latent_dim, cfg.epochs, cfg.batch_size, cfg.name) == ("mlp", 2, 50, 20, "dialog test")
    assert again.file_radio.isChecked() and again.file_edit.text() == SAMPLE


@pytest.mark.slow
def test_a_training_process_that_dies_ends_with_a_message_and_no_file(qtbot, tmp_path):
    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.show()
    configure(dialog, epochs=50, batch=20)
    dialog.train_button.click()
    qtbot.waitUntil(lambda: dialog.last_progress is not None, timeout=60_000)
    with qtbot.waitSignal(dialog.worker.failed, timeout=30_000):
        os.kill(dialog.worker.job_pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    dialog.worker.wait()
    assert "stopped unexpectedly" in dialog.status.text() and "No model was saved" in dialog.status.text()
    qtbot.waitUntil(dialog.train_button.isEnabled, timeout=5_000)  # ready for another try
    assert not list((tmp_path / "models").glob("*"))


@pytest.mark.slow
def test_a_cancelled_training_is_resumed_from_the_dialog_and_an_unwanted_one_discarded(qtbot, tmp_path, monkeypatch):
    from desktop_cvae import checkpoint

    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.interrupted_bar.isHidden()  # nothing to resume
    configure(dialog, epochs=4, batch=20)
    dialog.train_button.click()
    qtbot.waitUntil(lambda: len(dialog.epoch_reports) >= 1, timeout=120_000)
    with qtbot.waitSignal(dialog.worker.cancelled, timeout=30_000):
        dialog.cancel_button.click()
    dialog.worker.wait()
    qtbot.waitUntil(dialog.train_button.isEnabled, timeout=5_000)
    (ckpt, state), = checkpoint.find_interrupted(tmp_path / "models")
    done = state.epochs_done
    kept = "1 finished epoch kept" if done == 1 else f"{done} finished epochs kept"
    assert 1 <= done < 4 and kept in dialog.status.text()
    assert dialog.interrupted_bar.isVisible() and f"{done} of 4 epochs done" in dialog.interrupted_label.text()
    assert f"validation −ELBO {state.history['val_loss'][-1]:.1f} nats" in dialog.interrupted_label.text()
    # The bar took room from the loss curves, which shrink to fit rather than be cut off.
    curves = dialog.curves
    qtbot.waitUntil(lambda: curves.pixmap().height() <= curves.height() and curves.pixmap().width() <= curves.width())
    assert max(curves.pixmap().height() / curves.height(), curves.pixmap().width() / curves.width()) > 0.95

    # A new dialog (as after a restart) offers it too, and Resume trains it with its own settings and data.
    dialog.close()
    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.interrupted_bar.isVisible()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)  # not active
    with qtbot.waitSignal(dialog.model_trained, timeout=120_000) as trained:
        dialog.resume_button.click()
        assert dialog.interrupted_bar.isHidden()  # while it runs
    dialog.worker.wait()
    path, activate = trained.args
    assert path == str(checkpoint.model_path(ckpt)) and not activate and not ckpt.exists()
    meta = json.loads((tmp_path / "models" / (os.path.basename(path) + ".json")).read_text())
    assert meta["resumed_at_epochs"] == [done] and len(meta["history"]["loss"]) == 4
    assert meta["config"]["name"] == "dialog test" and meta["data"] == SAMPLE
    assert {p.epoch for p in [r for r in dialog.epoch_reports]} == set(range(done, 4))  # only the missing ones
    assert dialog.file_edit.text() == SAMPLE and dialog.epochs_spin.value() == 4  # the form shows what resumed
    qtbot.waitUntil(dialog.interrupted_bar.isHidden, timeout=5_000)

    # Discard asks, and deletes the checkpoint only on Yes.
    state.epochs_done = 2
    checkpoint.write(ckpt, state, [], [])
    dialog.refresh_interrupted()
    assert dialog.interrupted_bar.isVisible()
    dialog.discard_button.click()  # answered No
    assert ckpt.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.discard_button.click()
    assert not ckpt.exists() and dialog.interrupted_bar.isHidden()


def test_bad_data_ends_with_the_loader_s_message_through_the_training_process(qtbot, tmp_path):
    bad = tmp_path / "not-mnist.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a NumPy archive")
    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.show()
    configure(dialog)
    dialog.file_edit.setText(str(bad))
    failures = []
    dialog.train_button.click()
    dialog.worker.failed.connect(failures.append)  # the child needs ~0.1 s to start: connected in time
    assert not dialog.browse_button.isEnabled() and not dialog.train_button.isEnabled()
    qtbot.waitUntil(lambda: bool(failures), timeout=60_000)
    dialog.worker.wait()
    assert "not-mnist.npz" in failures[0]
    assert "Training failed" in dialog.status.text() and "No model was saved" in dialog.status.text()
    qtbot.waitUntil(dialog.train_button.isEnabled, timeout=5_000)
    assert dialog.browse_button.isEnabled()
    assert not list((tmp_path / "models").glob("*"))


@pytest.mark.slow
def test_closing_the_app_during_training_asks_then_cancels(qtbot, tmp_path, monkeypatch):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, models_dir=tmp_path / "models")
    qtbot.addWidget(window)
    window.open_training_dialog()
    dialog = window.training_dialog
    configure(dialog, epochs=50, batch=20)
    dialog.train_button.click()
    qtbot.waitUntil(lambda: dialog.last_progress is not None, timeout=60_000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.No)
    assert not window.close()  # "No": keep training
    assert asked and dialog.running
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.close()
    assert not dialog.worker.isRunning()
    assert not list((tmp_path / "models").glob("*"))


@pytest.mark.slow
def test_compare_view_shows_the_seed_conv_and_mlp_models(qtbot, tmp_path):
    dialog = CompareDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.select_seed_pair()
    with qtbot.waitSignal(dialog.worker.finished, timeout=180_000):
        pass
    QApplication.processEvents()
    assert dialog.comparison is not None and len(dialog.comparison.models) == 2
    names = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert names == {"Seed 001 convolutional CVAE", "Seed 001 multilayer CVAE"}
    assert dialog.tabs.count() == 9  # the metrics and eight figures
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Calibration" in tabs and "Confusion" in tabs
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())]
    ece = dialog.table.item(0, headers.index("ECE")).text()
    assert ece.endswith(" %") and 0 <= float(ece[:-2]) <= 100
    md = dialog.export(str(tmp_path / "report"))
    assert md is not None and md.is_file()
    dialog.close()


@pytest.mark.slow
def test_report_command_writes_its_files(tmp_path, capsys):
    models = [str(shipped_models_dir() / n) for n in ("seed-conv-cvae.keras", "seed-mlp-vae.keras")]
    assert main(["report", "--models", *models, "--data", SAMPLE, "--out", str(tmp_path)]) == 0
    for name in ("report.md", "metrics.json", "reconstructions.png", "latent.png", "loss_curves.png",
                 "noise_accuracy.png", "calibration.png", "generated.png", "traversal.png", "confusion.png"):
        assert (tmp_path / name).stat().st_size > 500, name
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [m["type"] for m in metrics["models"]] == ["CVAE", "VAE"] and metrics["n"] == 1000
    cvae, vae = metrics["models"]
    assert 0 <= cvae["ece"] <= 1 and 0 <= cvae["ece_noise_0.3"] <= 1 and vae["ece"] is None  # a VAE has no labels
    assert "## Calibration: reliability diagrams" in (tmp_path / "report.md").read_text()
    assert "| Seed 001 convolutional CVAE |" in (tmp_path / "report.md").read_text()
    # Each class's accuracy, as the confusion matrix gives it, and none for the VAE, which has no labels.
    assert len(cvae["per_class_accuracy"]) == 10 and vae["per_class_accuracy"] is None
    assert "## Confusion matrices and each class's accuracy" in (tmp_path / "report.md").read_text()


def test_the_dialog_offers_the_label_prior_only_for_conditional_models(qtbot, tmp_path):
    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("deepconv"))
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("decoder"))
    assert not dialog.fit_prior_check.isEnabled()  # only a learnt prior can be refitted
    dialog.prior_check.setChecked(True)
    dialog.fit_prior_check.setChecked(True)
    dialog.refine_spin.setValue(1)
    cfg = dialog.config()
    assert cfg.label_prior and cfg.fitted_prior and cfg.refine_layers == 1 and not cfg.label_in_encoder
    dialog.prior_check.setChecked(False)
    assert not dialog.fit_prior_check.isEnabled() and not dialog.config().fitted_prior
    dialog.prior_check.setChecked(True)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("none"))
    assert not dialog.prior_check.isEnabled() and not dialog.config().label_prior
    assert not dialog.fit_prior_check.isEnabled() and not dialog.config().fitted_prior
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("conv"))
    assert not dialog.refine_spin.isEnabled() and dialog.config().refine_layers == 0
    # Label into the prior only: the prior is then the model's only way to the label, so it is not optional.
    dialog.prior_check.setChecked(False)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("prior"))
    assert dialog.prior_check.isChecked() and not dialog.prior_check.isEnabled()
    cfg = dialog.config()
    assert cfg.label_prior and not cfg.label_in_decoder and not cfg.label_in_encoder and cfg.conditional
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("decoder"))
    assert dialog.prior_check.isEnabled() and dialog.config().label_in_decoder


def test_the_dialog_fills_in_how_each_shipped_model_was_made(qtbot, tmp_path):
    from desktop_cvae.config import ModelConfig

    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    made = {"architecture": ("arch", "conditional", "label_in_encoder", "label_in_decoder", "label_prior",
                             "fitted_prior", "latent_dim", "refine_layers", "pixel_context"),
            "training": ("epochs", "batch_size", "learning_rate", "lr_schedule", "beta", "train_noise",
                         "classifier_weight", "train_shift", "train_rotate", "train_scale", "train_blur",
                         "train_styles", "train_pens", "seed")}
    shipped = [e for e in list_models() if e.shipped]
    actions = dialog.recipe_menu.actions()
    assert len(actions) == len(shipped) == 4
    for entry, action in zip(shipped, actions):
        dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("mlp"))  # something else first
        dialog.latent_spin.setValue(7)
        action.trigger()
        stages = [ModelConfig.from_dict(c) for c in training_stages(entry.meta)]
        want, got = stages[0], dialog.config()  # a model trained in stages: its first, from new weights
        for field in made["architecture"] + made["training"]:
            if field in ("label_in_encoder", "label_in_decoder") and not want.conditional:
                continue  # a plain VAE has no label to give its encoder
            assert getattr(got, field) == getattr(want, field), (entry.name, field)
        assert not dialog.continuing and entry.name in dialog.status.text()
        for later in stages[1:]:  # and the status says how it went on
            assert f"then trained {later.epochs} more epochs" in dialog.status.text()
        assert ", then ".join(str(c.epochs) for c in stages) + " epochs" in action.text()
    assert dialog.config().epochs == 10  # the seed models' ten epochs, after the default's 45


@pytest.mark.slow
def test_the_dialog_continues_the_active_model(qtbot, tmp_path, monkeypatch, tiny_model_path):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, models_dir=tmp_path / "models")
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.state.model_changed, timeout=60_000):  # handled by the window, not only sent
        window.load_model(str(tiny_model_path))
    window.open_training_dialog()
    dialog = window.training_dialog
    assert dialog.start_combo.count() == 2 and "tiny test model" in dialog.start_combo.itemText(1)
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("mlp"))
    dialog.start_combo.setCurrentIndex(1)
    # The model's architecture is shown and fixed; its training settings are the dialog's.
    assert dialog.arch_combo.currentData() == "conv" and dialog.latent_spin.value() == 2
    assert not dialog.arch_combo.isEnabled() and not dialog.latent_spin.isEnabled()
    assert not dialog.seed_spin.isEnabled() and dialog.epochs_spin.isEnabled()
    base = load_model(tiny_model_path)
    assert dialog.batch_spin.value() == base[0].config.batch_size == 64  # the model's recipe, to change at will
    dialog.epochs_spin.setValue(1)
    dialog.noise_spin.setValue(0.25)
    dialog.file_radio.setChecked(True)
    dialog.file_edit.setText(SAMPLE)
    with qtbot.waitSignal(dialog.model_trained, timeout=120_000) as trained:
        dialog.train_button.click()
    dialog.worker.wait()
    model, meta = load_model(trained.args[0])
    assert model.config == base[0].config.continued(epochs=1, train_noise=0.25, name="tiny test model (continued)")
    assert meta["initialised_from"]["file"] == "tiny.keras"
    # It went on from the trained weights: its first epoch is already better than the base's last.
    assert meta["history"]["val_loss"][0] < base[1]["history"]["val_loss"][-1]
    # Back to new weights: the architecture is the user's to choose again.
    dialog.start_combo.setCurrentIndex(0)
    assert dialog.arch_combo.isEnabled() and dialog.latent_spin.isEnabled()
    window.close()


def test_the_dialog_offers_the_pixel_context_head_to_new_and_continued_deepconv_models(qtbot, tmp_path):
    from desktop_cvae.config import PIXEL_CONTEXT_CHANNELS, ModelConfig

    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("deepconv"))
    dialog.context_check.setChecked(True)
    assert dialog.config().pixel_context == PIXEL_CONTEXT_CHANNELS
    dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData("mlp"))
    assert not dialog.context_check.isEnabled() and dialog.config().pixel_context == 0
    # A deepconv model without the head may gain it when continued; one with it keeps it.
    without = ModelConfig(arch="deepconv", latent_dim=4, name="plain deepconv")
    dialog.set_active_model("plain.keras", without.to_dict())
    dialog.start_combo.setCurrentIndex(1)
    assert dialog.context_check.isEnabled() and not dialog.context_check.isChecked()
    assert dialog.config().pixel_context == 0
    dialog.context_check.setChecked(True)
    assert dialog.config() == without.continued(
        pixel_context=PIXEL_CONTEXT_CHANNELS, **{k: getattr(dialog.config(), k) for k in (
            "epochs", "batch_size", "learning_rate", "lr_schedule", "beta", "train_noise", "classifier_weight",
            "train_shift", "train_rotate", "train_scale", "train_blur", "name")})
    with_head = ModelConfig(arch="deepconv", latent_dim=4, pixel_context=8, name="with head")
    dialog.set_active_model("head.keras", with_head.to_dict())
    dialog.start_combo.setCurrentIndex(1)
    assert dialog.context_check.isChecked() and not dialog.context_check.isEnabled()
    assert dialog.config().pixel_context == 8  # its own head, not the dialog's channel count


def test_the_dialog_carries_the_augmentation_both_ways(qtbot, tmp_path):
    from desktop_cvae.config import ModelConfig

    dialog = TrainingDialog(tmp_path / "models")
    qtbot.addWidget(dialog)
    dialog.rotate_spin.setValue(12)
    dialog.scale_spin.setValue(0.15)
    dialog.blur_spin.setValue(0.75)
    dialog.styles_spin.setValue(0.3)
    dialog.pens_spin.setValue(0.5)
    cfg = dialog.config()
    assert (cfg.train_rotate, cfg.train_scale, cfg.train_blur, cfg.train_styles, cfg.train_pens) == (
        12, 0.15, 0.75, 0.3, 0.5)
    dialog.use_recipe(ModelConfig(arch="deepconv", train_rotate=8, train_scale=0.05, train_blur=1.25, train_styles=0.5,
                                  train_pens=0.7))
    cfg = dialog.config()
    assert (cfg.train_rotate, cfg.train_scale, cfg.train_blur, cfg.train_styles, cfg.train_pens) == (
        8, 0.05, 1.25, 0.5, 0.7)


def test_the_time_left_goes_by_the_pace_of_the_batches():
    from desktop_cvae.progress import BatchProgress, TimeLeft

    # 8 s of building and tracing before the first batch, then 0.1 s a batch: 100 batches an epoch, 2 epochs.
    time_left = TimeLeft()
    left = [time_left.update(BatchProgress(e, 2, s, 100, 1.0, 8.0 + 0.1 * (e * 100 + s - 1)))
            for e in range(2) for s in range(1, 101)]
    assert left[0] == float("inf")
    assert left[99] == pytest.approx(10.0, rel=0.02)  # after epoch 1: 100 batches of 0.1 s, not "about 18 s"
    assert left[-1] == pytest.approx(0.0, abs=1e-9)


def test_loss_curves_count_epochs_in_whole_numbers():
    from desktop_cvae.curves import figure_history

    for epochs in (1, 2):  # one epoch alone had ticks 0.94, 0.96, ... written over each other
        history = {k: [300.0, 250.0][:epochs]
                   for k in ("loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl")}
        fig = figure_history(history)
        fig.canvas.draw()  # ticks are placed when drawn
        for ax in fig.axes:
            ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            assert ticks == list(range(1, epochs + 1)), ticks  # no "1.5", and no crowd of fractions


def test_the_dialogs_fit_a_small_laptop_screen(qtbot, tmp_path):
    # The settings scroll rather than push Train and Cancel off a low screen.
    for dialog in (TrainingDialog(tmp_path / "models"), CompareDialog(tmp_path / "models")):
        qtbot.addWidget(dialog)
        smallest = dialog.minimumSizeHint()
        assert smallest.width() <= 1024 and smallest.height() <= 600, (type(dialog).__name__, smallest)
