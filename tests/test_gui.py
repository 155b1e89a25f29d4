"""The main window, driven as a person would (pytest-qt, offscreen): draw, open, noise, label, latent
clicks, errors, and closing while inference runs."""

import gc
import io
import threading

import numpy as np
import pytest
import shiboken6
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox

from desktop_cvae.catalog import default_model_path
from desktop_cvae.gui.main_window import MainWindow
from desktop_cvae.gui.opener import PictureOpener
from desktop_cvae.gui.worker import InferenceWorker

LOAD_TIMEOUT = 60_000
# An answer takes milliseconds, a model's warm-up seconds; a waitUntil returns as soon as it holds, so the bound
# is for CI's busiest minute, not for a typical wait (fixed 10 s bounds failed there).
ANSWER_TIMEOUT = 60_000


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    """Fail any test that leaves an inference thread running or Python threads behind (as napari does)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    QApplication.processEvents()
    running = [w for w in InferenceWorker.instances if w.isRunning()]
    assert not running, f"{len(running)} inference thread(s) still running"
    opening = [o for o in PictureOpener.instances if o.isRunning()]
    assert not opening, f"{len(opening)} picture opener thread(s) still running"
    # _DummyThread is Python's record of a foreign (Qt) thread that ran Python code; Python never drops
    # it, and the QThread check above already covers those.
    extra = [t for t in threading.enumerate()
             if t.ident not in before and t.is_alive() and not isinstance(t, threading._DummyThread)]
    assert not extra, f"threads left behind: {extra}"
    # A timer deleted with its window (C++ side gone, Python wrapper not yet collected) cannot fire.
    timers = [t for t in gc.get_objects() if isinstance(t, QTimer) and shiboken6.isValid(t) and t.isActive()]
    assert not timers, f"{len(timers)} active QTimer(s) left behind"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, models_dir=tmp_path / "models")
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.worker.model_loaded, timeout=LOAD_TIMEOUT):
        w.load_model(str(default_model_path()))
    yield w
    w.close()


def mouse(widget, kind, pos, buttons=Qt.MouseButton.LeftButton):
    button = Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton
    ev = QMouseEvent(kind, QPointF(pos), widget.mapToGlobal(QPointF(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def draw(qtbot, canvas, points):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for p in points[1:]:
        mouse(canvas, QMouseEvent.Type.MouseMove, QPoint(*p))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def settle(qtbot, window):
    """Wait until the newest request has been answered (results for older ones may arrive first)."""
    qtbot.waitUntil(lambda: window._shown_id == window._request_id, timeout=ANSWER_TIMEOUT)
    # One answer reaches each of its receivers by an event of its own: the window's may have been handled and
    # a test's own (results.append) not yet, when the wait ended.
    QApplication.processEvents()


def one_stroke():
    # A "1": a vertical stroke down the middle of the 280-pixel canvas.
    return [(140, 50 + 10 * i) for i in range(19)]


def sample_png(tmp_path, sample, index):
    path = tmp_path / f"sample-{index}.png"
    Image.fromarray(255 - sample.x_test[index]).resize((196, 196), Image.Resampling.BICUBIC).save(path)
    return str(path)


def test_window_title_and_status(window):
    assert "Desktop CVAE" in window.windowTitle()
    assert "deepconv" in window.model_status.text() and "latent dim" in window.model_status.text()


def test_drawing_a_stroke_updates_recognition_and_reconstruction(qtbot, window):
    assert window.model_panel.bars.probabilities() is None
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    p = window.model_panel.bars.probabilities()
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-6
    assert int(np.argmax(p)) == 1
    assert window.model_panel.recon_view.array() is not None and window.model_panel.recon_view.array().max() > 0.5
    assert window.model_panel.input_view.array().shape == (28, 28)
    assert window.canvas.can_undo()


def test_the_style_view_is_drawn_when_shown_and_not_per_stroke_while_hidden(qtbot, window):
    window.tabs.setCurrentIndex(window.tabs.indexOf(window.latent_tab.plot.parentWidget()))
    results = []
    window.worker.analyzed.connect(results.append)
    draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    assert results and all(r.style is None for r in results)  # hidden: its ten drawings are not made
    assert window.style_tab.view.array() is None
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT) as shown:
        window.tabs.setCurrentWidget(window.style_tab)  # opening the tab asks for them, for the same input
    settle(qtbot, window)
    r = shown.args[0]
    assert r.style.shape == (10, 28, 28)
    np.testing.assert_allclose(r.style, window.worker.engine.style_grid(r.analysis.z, r.analysis.recognised), atol=1e-5)
    assert window.style_tab.view.array() is not None
    results.clear()
    draw(qtbot, window.canvas, [(60 + 8 * i, 140) for i in range(20)])  # while shown, every stroke brings them
    settle(qtbot, window)
    assert results and all(r.style is not None for r in results)


def test_opening_a_sample_through_the_dialog_recognises_it(qtbot, window, sample, tmp_path, monkeypatch):
    index = 640  # a 6
    path = sample_png(tmp_path, sample, index)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        window.input_panel.open_button.click()
    qtbot.waitUntil(lambda: window.state.recognised is not None, timeout=ANSWER_TIMEOUT)
    assert window.state.recognised == int(sample.y_test[index])
    assert window.settings.value("paths/last_folder") == str(tmp_path)


def test_an_opened_photo_is_normalised_at_its_own_resolution_until_drawn_on(qtbot, window, sample, tmp_path):
    # Ruled paper's lines are a pixel thin in the canvas's 140-pixel copy and go unnoticed there; the photo
    # itself shows them. Once the person draws on it, the canvas is what they mean.
    import imagegen

    index = 505  # a 7
    path = tmp_path / "ruled.jpg"
    path.write_bytes(imagegen.ruled_paper(sample.x_test[index] / 255.0, np.random.default_rng(1)))
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        assert window.open_image_file(str(path))
    settle(qtbot, window)
    assert window.canvas.source_picture() is not None and max(window.canvas.source_picture().shape) == 512
    assert "ruled lines removed" in window.input_panel.notes_label.text()
    assert window.state.recognised == int(sample.y_test[index])
    window.model_panel.sigma_slider.setValue(20)  # same picture, new noise: answered without normalising it again
    settle(qtbot, window)
    assert window._opened[0] is window.canvas.source_picture()  # sent as normalised when opened
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, [(20, 20), (30, 30)])
    assert window.canvas.source_picture() is None
    window.canvas.undo()  # the undo copy is the canvas's rendering: the canvas path from here on
    assert window.canvas.source_picture() is None


def test_noise_slider_changes_the_model_input(qtbot, window):
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    clean = window.model_panel.input_view.array().copy()
    window.model_panel.sigma_slider.setValue(40)
    settle(qtbot, window)
    noisy = window.model_panel.input_view.array().copy()
    assert window.state.sigma == pytest.approx(0.4)
    assert np.abs(noisy - clean).mean() > 0.05
    window.model_panel.reroll_noise_button.click()
    settle(qtbot, window)
    assert not np.array_equal(window.model_panel.input_view.array(), noisy)


def digit_on_paper(sample, index):
    """A shipped test digit as the canvas would show it: dark ink on light paper, 280 pixels wide."""
    big = Image.fromarray(sample.x_test[index].astype(np.float32) / 255, mode="F").resize((280, 280))
    return 1.0 - np.clip(np.asarray(big), 0, 1)


def hash_sign(lines=(90, 190)):
    """Not a digit: a "#" drawn across the page, which the default model calls out without noise."""
    page = np.ones((280, 280), np.float32)
    for k in lines:
        page[:, k - 8:k + 8] = 0
        page[k - 8:k + 8, :] = 0
    return page


def test_noise_alone_does_not_make_a_digit_look_unlike_one(qtbot, window, sample):
    window.model_panel.sigma_slider.setValue(30)
    with qtbot.waitSignal(window.worker.digit_checked, timeout=ANSWER_TIMEOUT) as checked:
        window.canvas.set_image(digit_on_paper(sample, 3))
    settle(qtbot, window)
    assert checked.args[0].looks_like_digit
    assert not window.model_panel.ood_label.isVisible()
    # Against noiseless test digits, the noisy input itself would have been called out:
    assert not window.worker.engine.analyze(window.model_panel.input_view.array()).looks_like_digit
    # New noise on the same drawing asks nothing more of the model: its check is kept.
    checks = []
    window.worker.digit_checked.connect(checks.append)
    window.model_panel.sigma_slider.setValue(35)
    window.model_panel.reroll_noise_button.click()
    settle(qtbot, window)
    qtbot.wait(200)
    assert checks == [] and not window.model_panel.ood_label.isVisible()


def test_a_non_digit_is_called_out_with_or_without_noise(qtbot, window):
    window.canvas.set_image(hash_sign())
    settle(qtbot, window)
    assert window.model_panel.ood_label.isVisible()
    assert window.model_panel.ood_label.text().startswith("⚠ This does not look like a digit")
    window.model_panel.sigma_slider.setValue(30)  # the noiseless check of this drawing stands, and says so
    settle(qtbot, window)
    assert window.model_panel.ood_label.isVisible()
    assert window.model_panel.ood_label.text().startswith("⚠ Before the noise, this does not look like a digit")
    window.input_panel.clear_button.click()  # so what shows next is the new drawing's verdict, not this one's
    assert not window.model_panel.ood_label.isVisible()
    with qtbot.waitSignal(window.worker.digit_checked, timeout=ANSWER_TIMEOUT) as checked:
        window.canvas.set_image(hash_sign((60, 140, 220)))  # a new drawing, drawn with noise on
    assert not checked.args[0].looks_like_digit
    assert window.model_panel.ood_label.isVisible()
    assert window.model_panel.ood_label.text().startswith("⚠ Before the noise, this does not look like a digit")
    window.input_panel.clear_button.click()
    settle(qtbot, window)
    assert not window.model_panel.ood_label.isVisible()


def test_a_scribble_over_the_whole_canvas_is_read_as_a_drawing(qtbot, window):
    # A dense zig-zag over most of the canvas once gave "No ink found" and "uneven lighting corrected": taken
    # for a photo, its strokes for the paper. A drawing is read as strokes on paper, and judged by the model.
    window.input_panel.brush.setValue(40)
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, [(10 + (i % 2) * 260, 10 + i * 6) for i in range(45)])
    settle(qtbot, window)
    assert not window.input_panel.message_label.isVisible() and window.model_panel.bars.probabilities() is not None
    assert "lighting" not in window.input_panel.notes_label.text() and "a drawing" in window.input_panel.notes_label.text()


def test_a_drawn_house_is_not_a_digit_and_a_drawn_digit_is(qtbot, window):
    house = [(60, 250), (60, 130), (220, 130), (220, 250), (60, 250)]
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, house)
        draw(qtbot, window.canvas, [(50, 135), (140, 40), (230, 135)])  # roof
        draw(qtbot, window.canvas, [(120, 250), (120, 185), (160, 185), (160, 250)])  # door
    settle(qtbot, window)
    assert window.model_panel.ood_label.isVisible() and "Not a digit" in window.model_panel.recognised_label.text()
    window.input_panel.clear_button.click()
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    assert not window.model_panel.ood_label.isVisible() and window.model_panel.recognised_label.text().startswith("1")


def test_a_photo_on_the_canvas_is_not_taken_for_a_drawing(qtbot, window, sample):
    import imagegen

    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import image_to_gray

    data = imagegen.KINDS["phone photo"](sample.x_test[0] / 255.0, np.random.default_rng(0))
    window.canvas.set_image(image_to_gray(decode_image(io.BytesIO(data))))
    draw(qtbot, window.canvas, [(20, 20), (30, 30)])  # drawn on: the canvas's copy goes to the worker
    assert not window.canvas.holds_only_drawing(window.canvas.gray_array())
    draw_only = type(window.canvas)()
    qtbot.addWidget(draw_only)
    draw(qtbot, draw_only, one_stroke())
    assert draw_only.holds_only_drawing(draw_only.gray_array())


def test_the_prior_checkbox_switches_how_samples_are_drawn(qtbot, window):
    window.model_panel.label_combo.setCurrentIndex(window.model_panel.label_combo.findData(1))
    qtbot.waitUntil(lambda: window.samples_tab.view.array() is not None and "label 1" in window.samples_tab.caption.text(),
                    timeout=ANSWER_TIMEOUT)
    fitted = window.samples_tab.view.array().copy()
    assert "fitted to the latent codes of real 1s" in window.samples_tab.caption.text()
    window.samples_tab.prior_checkbox.setChecked(True)
    # The default model has a prior per label, fitted after training, and the caption names it.
    qtbot.waitUntil(lambda: "fitted prior p(z | 1)" in window.samples_tab.caption.text()
                    and not np.allclose(window.samples_tab.view.array(), fitted), timeout=ANSWER_TIMEOUT)
    window.samples_tab.prior_checkbox.setChecked(False)
    qtbot.waitUntil(lambda: np.allclose(window.samples_tab.view.array(), fitted), timeout=ANSWER_TIMEOUT)  # same seed


def test_label_change_changes_the_samples(qtbot, window):
    window.model_panel.label_combo.setCurrentIndex(3 + 1)
    qtbot.waitUntil(lambda: window.samples_tab.view.array() is not None, timeout=ANSWER_TIMEOUT)
    qtbot.waitUntil(lambda: "label 3" in window.samples_tab.caption.text(), timeout=ANSWER_TIMEOUT)
    threes = window.samples_tab.view.array().copy()
    window.model_panel.label_combo.setCurrentIndex(8 + 1)
    qtbot.waitUntil(lambda: "label 8" in window.samples_tab.caption.text(), timeout=ANSWER_TIMEOUT)
    assert not np.allclose(window.samples_tab.view.array(), threes)


def test_a_click_on_the_latent_plot_decodes_that_point(qtbot, window):
    plot = window.latent_tab.plot
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: plot._marker is not None, timeout=ANSWER_TIMEOUT)
    plot.canvas.draw()
    x, y = plot.ax.transData.transform((0.0, 0.0))  # display pixels, origin bottom-left
    ratio = plot.canvas.device_pixel_ratio
    pos = QPoint(int(x / ratio), int(plot.canvas.height() - y / ratio))
    with qtbot.waitSignal(window.worker.decoded, timeout=ANSWER_TIMEOUT):
        qtbot.mouseClick(plot.canvas, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: window.latent_tab.decoded_view.array() is not None, timeout=ANSWER_TIMEOUT)
    assert window.latent_tab.decoded_view.array().shape == (28, 28) and window.latent_tab.decoded_view.array().max() > 0.3


def test_an_unreadable_file_shows_a_message_and_keeps_state(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    before = window.canvas.image()
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 definitely not a whole JPEG")
    assert window.open_image_file(str(bad)) is False
    assert window.input_panel.message_label.isVisible() and "damaged" in window.input_panel.message_label.text()
    assert window.canvas.image() == before
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 250).save(blank)
    assert window.open_image_file(str(blank)) is False
    assert "No ink" in window.input_panel.message_label.text() and window.canvas.image() == before
    # The answer on screen is the kept drawing's, and the message says so: never taken for the new picture's.
    assert "still show the earlier input" in window.input_panel.message_label.text()


def test_a_bad_model_file_keeps_the_previous_model(qtbot, window, tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04broken")
    active = window.state.model_info["path"]
    with qtbot.waitSignal(window.worker.model_failed, timeout=ANSWER_TIMEOUT):
        window.load_model(str(bad))
    assert window.state.model_info["path"] == active
    assert "previous model stays active" in window.input_panel.message_label.text()


def test_clear_leaves_nothing_of_the_cleared_digit_on_screen(qtbot, window):
    with qtbot.waitSignal(window.worker.samples_ready, timeout=ANSWER_TIMEOUT):  # auto label: samples of the recognised 1
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    assert window.input_panel.notes_label.text().startswith("Detected") and window.samples_tab.view.array() is not None
    window.input_panel.clear_button.click()
    assert window.model_panel.bars.probabilities() is None and window.model_panel.recognised_label.text() == "–"
    assert window.model_panel.input_view.array() is None and window.model_panel.recon_view.array() is None
    assert window.model_panel.recon_view.title == "Reconstruction"  # not "... as 1"
    assert not window.input_panel.notes_label.text().startswith("Detected")
    assert window.samples_tab.view.array() is None and window.grid_tab.view.array() is None
    assert "recognised digit" in window.samples_tab.caption.text()
    # The next digit brings its own samples back.
    with qtbot.waitSignal(window.worker.samples_ready, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    assert window.samples_tab.view.array() is not None


def test_the_reconstruction_names_a_label_only_where_the_decoder_takes_one(qtbot, window):
    from desktop_cvae.resources import shipped_models_dir

    # The default model's decoder sees no label (the label is only in its prior): a plain "Reconstruction".
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    assert window.model_panel.recon_view.title == "Reconstruction"
    # Seed 001's CVAE decodes with the label: its reconstruction is "as" the label it was given.
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.load_model(str(shipped_models_dir() / "seed-conv-cvae.keras"))
    window.request_update()
    settle(qtbot, window)
    assert window.model_panel.recon_view.title == f"Reconstruction as {window.state.recognised}"


def test_an_unsure_answer_says_so_and_names_the_runner_up(qtbot, window):
    engine = window.worker.engine
    calibrated = engine.temperature
    engine.temperature = 1e3  # nearly uniform probabilities: the model can be sure of nothing
    try:
        with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
            draw(qtbot, window.canvas, one_stroke())
        settle(qtbot, window)
        p = window.model_panel.bars.probabilities()
        first, second = np.argsort(p)[-1], np.argsort(p)[-2]
        assert f"Unsure: {first}" in window.model_panel.recognised_label.text()
        assert f"or {second}" in window.model_panel.recognised_label.text()
    finally:
        engine.temperature = calibrated
    window.input_panel.clear_button.click()
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    assert "Unsure" not in window.model_panel.recognised_label.text()  # a clear 1 at the model's own temperature


def test_undo_redo_and_clear(qtbot, window):
    draw(qtbot, window.canvas, one_stroke())
    drawn = window.canvas.image()
    window.canvas.clear()
    assert window.canvas.is_blank()
    window.canvas.undo()
    assert window.canvas.image() == drawn
    window.canvas.redo()
    assert window.canvas.is_blank()


def test_closing_while_inference_runs_leaves_no_thread(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, models_dir=tmp_path)
    qtbot.addWidget(w)
    w.show()
    w.load_model(str(default_model_path()))
    for i in range(5):  # requests queued while the model is still loading
        draw(qtbot, w.canvas, [(100 + i, 60), (120 + i, 200)])
    w.close()
    assert not w.worker.isRunning()


def test_the_window_fits_a_small_laptop_screen(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), models_dir=tmp_path)
    qtbot.addWidget(w)
    smallest = w.minimumSizeHint()
    assert smallest.width() <= 1024 and smallest.height() <= 600, smallest  # a 1024x600 netbook
    room = w.screen().availableGeometry()  # first start: no bigger than the screen, unless it cannot be
    assert w.width() <= max(room.width(), smallest.width()) and w.height() <= max(room.height(), smallest.height())
    w.close()


def test_settings_are_remembered(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, models_dir=tmp_path)
    qtbot.addWidget(w)
    w.input_panel.brush.setValue(30)
    w.tabs.setCurrentIndex(4)
    w.model_panel.sigma_slider.setValue(35)
    w.model_panel.sp_slider.setValue(5)
    w.model_panel.label_combo.setCurrentIndex(w.model_panel.label_combo.findData(7))
    w.close()
    # Read back from the file, as the next session does (an INI file gives numbers back as text).
    w2 = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), models_dir=tmp_path)
    qtbot.addWidget(w2)
    assert w2.input_panel.brush.value() == 30 and w2.tabs.currentIndex() == 4
    assert (w2.model_panel.sigma_slider.value(), w2.model_panel.sp_slider.value(), w2.model_panel.label_combo.currentData()) == (35, 5, 7)
    assert w2.state.label == 7  # the condition reaches the model's requests, not only the combo box
    w2.model_panel.label_combo.setCurrentIndex(0)
    w2.close()
    w3 = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), models_dir=tmp_path)
    qtbot.addWidget(w3)
    assert w3.model_panel.label_combo.currentData() is None  # Auto is remembered too
    w3.close()


def test_a_drawing_outlives_a_crash_and_a_cleared_one_stays_cleared(qtbot, tmp_path):
    from desktop_cvae.gui.main_window import DRAWING_KEY

    path = str(tmp_path / "s.ini")
    w = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), models_dir=tmp_path)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.worker.model_loaded, timeout=LOAD_TIMEOUT):
        w.start()
    with qtbot.waitSignal(w.worker.analyzed, timeout=LOAD_TIMEOUT) as first:
        draw(qtbot, w.canvas, [(100, 50), (170, 50), (120, 230)])  # a 7
    # Kept on disk a moment after the last stroke, with the window still open: as if it crashed next.
    qtbot.waitUntil(lambda: QSettings(path, QSettings.Format.IniFormat).value(DRAWING_KEY) is not None, timeout=5000)
    after_crash = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), models_dir=tmp_path)
    qtbot.addWidget(after_crash)
    with qtbot.waitSignal(after_crash.worker.analyzed, timeout=LOAD_TIMEOUT) as again:
        after_crash.start()
    np.testing.assert_allclose(after_crash.canvas.gray_array(), w.canvas.gray_array(), atol=1 / 255)
    assert again.args[0].analysis.recognised == first.args[0].analysis.recognised
    assert not after_crash.canvas.can_undo()  # the session starts from it: nothing to undo yet
    w.close()

    after_crash.canvas.clear()
    after_crash.close()
    fresh = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), models_dir=tmp_path)
    qtbot.addWidget(fresh)
    fresh.start()
    assert fresh.canvas.is_blank()  # a cleared canvas is not brought back
    fresh.close()


def test_the_canvas_refuses_a_kept_drawing_it_cannot_read(qtbot):
    from desktop_cvae.gui.canvas import DrawingCanvas

    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    before = canvas.gray_array()
    wide = QImage(300, 100, QImage.Format.Format_Grayscale8)
    wide.fill(0)
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    wide.save(buf, "PNG")
    for data in (b"", b"not a png", bytes(buf.data())):
        assert not canvas.restore_png(data)
        np.testing.assert_array_equal(canvas.gray_array(), before)


def test_switching_back_to_a_model_reuses_it(qtbot, window):
    from desktop_cvae.resources import shipped_models_dir

    first = window.worker.engine
    # Waits for the window's own model signal: the worker's is emitted on its thread, and waitSignal can return
    # before the window has handled it.
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.load_model(str(shipped_models_dir() / "seed-mlp-vae.keras"))
    assert not window.model_panel.label_combo.isEnabled()  # a plain VAE has no label to condition on
    window.tabs.setCurrentWidget(window.style_tab)
    with qtbot.waitSignal(window.worker.analyzed, timeout=LOAD_TIMEOUT):
        draw(qtbot, window.canvas, [(90, 60), (90, 200)])
    # Nothing to draw under other labels: the tab says why instead of showing a bare dash.
    assert window.style_tab.view.array() is None and "plain VAE" in window.style_tab.view.placeholder()
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.load_model(str(default_model_path()))
    assert window.worker.engine is first and window.model_panel.label_combo.isEnabled()
    assert "plain VAE" not in window.style_tab.view.placeholder()
    qtbot.waitUntil(lambda: window.style_tab.view.array() is not None, timeout=LOAD_TIMEOUT)  # the CVAE draws it


def test_the_model_warms_up_once_the_person_pauses_not_while_they_draw(qtbot, sample):
    """A new model answers eagerly at once; tracing its graphs and compiling its update (seconds) waits for a
    pause, so the first strokes after a load never queue behind them (they did: 7 s on a 2-core machine)."""
    worker = InferenceWorker()
    worker.warm_after_idle_s = 3.0  # wide, so a slow machine's gaps between strokes stay well inside it
    try:
        with qtbot.waitSignal(worker.model_loaded, timeout=LOAD_TIMEOUT):
            worker.submit("load", str(default_model_path()))
        engine = worker.engine
        digit, label = sample.x_test[0].astype(np.float32) / 255.0, int(sample.y_test[0])
        for request in range(8):  # a person drawing: a request every 0.2 s
            with qtbot.waitSignal(worker.analyzed, timeout=ANSWER_TIMEOUT) as answer:
                worker.submit("analyze", request, digit, 0.0, 0.0, 0, None)
            assert answer.args[0].analysis.recognised == label
            qtbot.wait(200)
        assert engine.eager, "the warm-up started while requests kept coming"
        qtbot.waitUntil(lambda: not engine.eager, timeout=ANSWER_TIMEOUT)  # the pause: it warms up now
        with qtbot.waitSignal(worker.analyzed, timeout=ANSWER_TIMEOUT) as answer:
            worker.submit("analyze", 8, digit, 0.0, 0.0, 0, None)
        assert answer.args[0].analysis.recognised == label
    finally:
        worker.stop()


def drop(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    window.dropEvent(ev)  # the handler itself: Qt routes a drop only while a real drag is under way
    return ev.isAccepted()


def test_a_dropped_model_file_is_loaded_and_a_dropped_picture_opened(qtbot, window, tmp_path):
    from desktop_cvae.resources import shipped_models_dir

    vae = shipped_models_dir() / "seed-mlp-vae.keras"
    with qtbot.waitSignal(window.worker.model_loaded, timeout=LOAD_TIMEOUT) as loaded:
        assert drop(window, vae)
    assert loaded.args[0]["path"] == str(vae)
    h5 = tmp_path / "old.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with qtbot.waitSignal(window.worker.model_failed, timeout=LOAD_TIMEOUT) as failed:
        drop(window, h5)
    assert ".h5" in failed.args[0] and window.worker.engine.path == vae  # refused for its reason; the VAE stays
    digit = tmp_path / "digit.png"
    from desktop_cvae.data import load_sample

    Image.fromarray(np.uint8(255 - load_sample().x_test[0])).resize((200, 200)).save(digit)
    with qtbot.waitSignal(window.worker.analyzed, timeout=LOAD_TIMEOUT):
        drop(window, digit)
    assert window.canvas.source_picture() is not None


def test_hostile_files_through_the_gui(qtbot, window, tmp_path):
    import hostile

    for name, (path, expect) in hostile.make_all(tmp_path / "hostile").items():
        before = window.canvas.image()
        opened = window.open_image_file(str(path))
        if not opened:
            assert window.input_panel.message_label.text(), name
            assert window.canvas.image() == before, f"{name} changed the canvas although it was refused"
        assert expect != "error" or not opened, f"{name} should have been refused"


def large_photo(tmp_path, sample):
    """A 12-megapixel phone photo of a digit: a quarter of a second to decode and check."""
    import imagegen

    path = tmp_path / "photo.jpg"
    path.write_bytes(imagegen.phone_photo(sample.x_test[0].astype(np.float32) / 255, np.random.default_rng(0),
                                          size=(4000, 3000), digit_height=1000))
    return path


def test_a_file_opens_off_the_ui_thread_and_the_newest_request_wins(qtbot, window, tmp_path, sample):
    """A 12-megapixel photo took a quarter of a second to decode and check on the UI thread, which froze the window.
    People's opens (the menu, a drop, a pasted file) now run on the opener's thread."""
    big = large_photo(tmp_path, sample)
    small = tmp_path / "digit.png"
    Image.fromarray(np.uint8(255 - sample.x_test[1])).resize((200, 200)).save(small)
    changes = []
    window.canvas.changed.connect(lambda: changes.append(window.canvas.source_picture()))
    window.open_image_in_background(str(big))
    window.open_image_in_background(str(small))
    assert changes == [] and window.canvas.source_picture() is None  # nothing decoded on this thread
    assert window.statusBar().currentMessage() == "Opening digit.png…"
    qtbot.waitUntil(lambda: not window._opening, timeout=ANSWER_TIMEOUT)
    QApplication.processEvents()  # the older photo's answer, if it was decoded, arrives and is dropped
    assert len(changes) == 1 and changes[0].shape == (200, 200)  # the digit asked for last; never the photo
    assert window.statusBar().currentMessage() == ""


def test_a_file_that_fails_to_open_in_the_background_changes_nothing_and_drawing_wins_over_an_open(
        qtbot, window, tmp_path, sample):
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    before = window.canvas.image()
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 definitely not a whole JPEG")
    with qtbot.waitSignal(window.opener.failed, timeout=ANSWER_TIMEOUT):
        window.open_image_in_background(str(bad))
    assert "damaged" in window.input_panel.message_label.text() and window.canvas.image() == before
    # A stroke drawn while a file is still opening is the newest input: the photo is not shown over it.
    with qtbot.waitSignal(window.opener.opened, timeout=ANSWER_TIMEOUT):
        window.open_image_in_background(str(large_photo(tmp_path, sample)))
        draw(qtbot, window.canvas, one_stroke())
    QApplication.processEvents()
    assert window.canvas.source_picture() is None and not window._opening


def test_a_picture_opened_at_start_is_answered_as_soon_as_the_model_loads(qtbot, tmp_path, sample):
    """`desktop-cvae FILE`: the picture is opened before TensorFlow has loaded; its answer must follow the
    model load without waiting for the latent map, and the map then marks it."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, models_dir=tmp_path / "models")
    qtbot.addWidget(w)
    w.show()
    order = []
    w.worker.model_loaded.connect(lambda _: order.append("model"))
    w.worker.analyzed.connect(lambda _: order.append("answer"))
    w.worker.latent_ready.connect(lambda _: order.append("latent map"))
    index = int(np.flatnonzero(sample.y_test == 3)[0])
    w.open_image_file(sample_png(tmp_path, sample, index))
    w.start()
    qtbot.waitUntil(lambda: "latent map" in order and order[-1] == "answer", timeout=LOAD_TIMEOUT)
    assert order.index("model") < order.index("answer") < order.index("latent map")
    assert w.model_panel.recognised_label.text().startswith("3")
    assert w.latent_tab.plot.marker_position() is not None  # re-answered once the map was there
    w.close()


def test_the_loss_curves_are_drawn_when_their_tab_is_opened(window, qtbot):
    canvas = window.loss_tab.plot.canvas
    loss_tab = next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "Loss curves")
    assert window.tabs.currentIndex() != loss_tab
    QApplication.processEvents()
    assert canvas._stale_while_hidden  # a model's curves were set while hidden: not drawn on the UI thread yet
    window.tabs.setCurrentIndex(loss_tab)
    qtbot.waitUntil(lambda: not canvas._stale_while_hidden, timeout=5_000)
    QApplication.processEvents()
    pixels = np.asarray(canvas.buffer_rgba())
    assert pixels.size and len(np.unique(pixels.reshape(-1, 4), axis=0)) > 20  # curves, not a blank canvas


def test_a_stopped_worker_is_not_restarted_by_a_late_request(window):
    window.worker.stop()
    window.request_update()  # e.g. the latent map's answer arriving while the window closes
    window.worker.submit("samples", 3, 0)
    assert not window.worker.isRunning()


def test_the_plain_vae_switch_has_a_way_back(window, qtbot):
    # The switch used to vanish once used: the plain VAE had no way back to the CVAE.
    cvae = window.state.model_info["path"]
    assert window.latent_tab.plain_vae_button.text() == "Switch to the plain VAE"
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.latent_tab.plain_vae_button.click()
    assert not window.state.model_info["config"]["conditional"]
    assert not window.latent_tab.plain_vae_button.isHidden() and window.latent_tab.plain_vae_button.text() == "Back to the CVAE"
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.latent_tab.plain_vae_button.click()
    assert window.state.model_info["path"] == cvae
    assert window.latent_tab.plain_vae_button.text() == "Switch to the plain VAE"


def test_the_explain_tab_follows_the_input_and_clears_with_it(qtbot, window):
    window.tabs.setCurrentWidget(window.explain_tab)
    with qtbot.waitSignal(window.worker.explained, timeout=ANSWER_TIMEOUT):
        draw(qtbot, window.canvas, one_stroke())
    settle(qtbot, window)
    qtbot.waitUntil(lambda: window.explain_tab.plot.explanation is not None, timeout=ANSWER_TIMEOUT)
    ex = window.explain_tab.plot.explanation
    recognised = int(np.argmax(window.model_panel.bars.probabilities()))
    assert ex.winner == recognised and f"{recognised} wins over the runner-up" in window.explain_tab.text.text()
    window.input_panel.clear_button.click()
    assert window.explain_tab.plot.explanation is None and window.explain_tab.text.text() == ""
    # Not computed while the tab is closed: another tab, a new stroke, no explanation asked for.
    window.tabs.setCurrentIndex(0)
    with qtbot.assertNotEmitted(window.worker.explained, wait=1500):
        draw(qtbot, window.canvas, one_stroke())
        settle(qtbot, window)


def test_the_latent_grid_takes_a_label_two_directions_and_a_size_and_saves_as_png(qtbot, window, tmp_path,
                                                                                 monkeypatch):
    window.tabs.setCurrentWidget(window.grid_tab.view.parentWidget())
    assert window.grid_tab.dim_spins[0].isEnabled() and window.grid_tab.dim_spins[0].maximum() == 31  # 32-D default
    with qtbot.waitSignal(window.worker.traversal_ready, timeout=ANSWER_TIMEOUT,
                          check_params_cb=lambda label, dims, grid: grid.shape[:2] == (5, 5)) as got:
        window.grid_tab.label_combo.setCurrentIndex(window.grid_tab.label_combo.findData(3))
        window.grid_tab.dim_spins[0].setValue(1)
        window.grid_tab.dim_spins[1].setValue(4)
        window.grid_tab.steps_spin.setValue(5)
    label, dims, grid = got.args
    assert label == 3 and tuple(dims) == (1, 4)
    qtbot.waitUntil(lambda: "as chosen" in window.grid_tab.caption.text())
    # Decoded under label 3 along those directions: the drawings change across the grid.
    assert np.abs(grid[0, 0] - grid[-1, -1]).max() > 0.2
    out = tmp_path / "grid.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PNG (*.png)"))
    window.grid_tab.save_button.click()
    with Image.open(out) as img:
        assert img.size == ((5 * 30 + 2) * 3,) * 2  # 5 digits of 28 pixels and 2 of padding, 3x


def test_interpolation_joins_two_inputs_and_can_hold_the_first_label(qtbot, window, sample):
    a_index, b_index = (int(np.flatnonzero(sample.y_test == d)[0]) for d in (1, 7))
    window.tabs.setCurrentWidget(window.interpolation_tab)
    window.canvas.set_image(digit_on_paper(sample, a_index))
    settle(qtbot, window)
    window.interpolation_tab.set_buttons[0].click()
    window.canvas.set_image(digit_on_paper(sample, b_index))
    settle(qtbot, window)
    with qtbot.waitSignal(window.worker.interpolated, timeout=ANSWER_TIMEOUT) as got:
        window.interpolation_tab.set_buttons[1].click()
    drawn, labels, read = got.args
    assert drawn.shape == (9, 28, 28) and labels[0] == 1 and labels[-1] == 7
    assert read[0] == 1 and read[-1] == 7 and "Read as: 1" in window.interpolation_tab.caption.text()
    with qtbot.waitSignal(window.worker.interpolated, timeout=ANSWER_TIMEOUT) as got:
        window.interpolation_tab.hold_check.setChecked(True)
    drawn, labels, read = got.args
    assert set(labels) == {1} and set(int(r) for r in read) == {1}  # B's style, drawn as A's digit
    with qtbot.waitSignal(window.worker.interpolated, timeout=ANSWER_TIMEOUT) as got:
        window.interpolation_tab.steps_spin.setValue(5)
    assert got.args[0].shape == (5, 28, 28)


def test_a_model_of_your_own_can_be_renamed_and_removed(qtbot, window, tmp_path, tiny_model_path, monkeypatch):
    import shutil

    from desktop_cvae.catalog import list_models
    from desktop_cvae.storage import load_model, read_sidecar, sidecar_path

    window.models.fill()
    assert not window.models.rename_action.isEnabled() and not window.models.remove_action.isEnabled()  # shipped
    mine = tmp_path / "models" / "mine.keras"
    mine.parent.mkdir(exist_ok=True)
    shutil.copy(tiny_model_path, mine)
    shutil.copy(sidecar_path(tiny_model_path), sidecar_path(mine))
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.load_model(str(mine))
    window.models.fill()
    assert window.models.rename_action.isEnabled() and window.models.remove_action.isEnabled()

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  Curvy   sevens ", True))
    window.models.rename_action.trigger()
    assert read_sidecar(mine)["display_name"] == "Curvy sevens"
    assert "Model: Curvy sevens" in window.model_status.text()
    assert [e.name for e in list_models(tmp_path / "models") if not e.shipped] == ["Curvy sevens"]
    assert any("Curvy sevens" in a.text() for a in window.model_menu.actions())
    assert "stale_sidecar" not in load_model(mine)[1]  # the model file is untouched: its checksum still holds

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.models.remove_action.trigger()
    assert not mine.exists() and not sidecar_path(mine).exists()
    assert window.state.model_info["path"] == str(default_model_path())
    assert not [e for e in list_models(tmp_path / "models") if not e.shipped]


def test_a_blank_start_shows_no_samples_of_a_digit_nobody_drew(qtbot, window):
    # At start the samples followed "label 0" for a blank canvas, while after Clear they said they would appear
    # with a digit: now both say the same, and a label picked by hand still gets its samples.
    asked = []
    submit = window.worker.submit
    window.worker.submit = lambda kind, *args: (asked.append(kind), submit(kind, *args))
    window.request_samples()  # as a new model, a re-roll or the prior switch asks
    window.request_traversal()
    assert "samples" not in asked and "traversal" not in asked
    assert window.samples_tab.view.array() is None and "appear when there is one" in window.samples_tab.caption.text()
    assert window.grid_tab.view.array() is None
    window.worker.submit = submit
    with qtbot.waitSignal(window.worker.samples_ready, timeout=ANSWER_TIMEOUT,
                          check_params_cb=lambda label, images: label == 4):
        window.model_panel.label_combo.setCurrentIndex(window.model_panel.label_combo.findData(4))


def test_the_learning_views_work_on_a_model_trained_in_the_app(qtbot, window, sample, tiny_model_path):
    # tiny_model_path is trained by train_and_save, as the training dialog trains: a 2-D conv CVAE.
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.load_model(str(tiny_model_path))
    assert not window.grid_tab.dim_spins[0].isEnabled()  # its latent plane is the grid: nothing to choose
    window.tabs.setCurrentWidget(window.explain_tab)
    with qtbot.waitSignal(window.worker.explained, timeout=ANSWER_TIMEOUT):
        window.canvas.set_image(digit_on_paper(sample, 0))
    qtbot.waitUntil(lambda: window.explain_tab.plot.explanation is not None, timeout=ANSWER_TIMEOUT)
    assert window.explain_tab.plot.explanation.mean.shape == (2,) and "wins over" in window.explain_tab.text.text()
    window.tabs.setCurrentWidget(window.interpolation_tab)
    window.interpolation_tab.set_buttons[0].click()
    window.canvas.set_image(digit_on_paper(sample, 1))
    settle(qtbot, window)
    with qtbot.waitSignal(window.worker.interpolated, timeout=ANSWER_TIMEOUT) as got:
        window.interpolation_tab.set_buttons[1].click()
    assert got.args[0].shape == (9, 28, 28)
    history = window.state.model_info["meta"]["history"]
    assert len(history["val_accuracy"]) == 2  # its training measured the bound as a classifier every epoch


def test_the_model_menu_shows_its_shortcuts(window):
    window.models.fill()
    shortcuts = {a.text(): a.shortcut().toString() for a in window.model_menu.actions()}
    assert shortcuts["&Train new model…"] == "Ctrl+T" and shortcuts["&Compare models…"] == "Ctrl+M"


def test_a_digit_waiting_for_its_answer_is_never_called_missing(qtbot, window, sample):
    # While the first answer was slow (a busy machine, a model still compiling), "Draw a digit" stood beside a
    # drawn digit. Until the answer comes, the panels say the digit is being read.
    window.input_panel.clear_button.click()
    assert window.model_panel.input_view.placeholder() == "Draw a digit"
    window.worker.submit = lambda *args: None  # an answer that has not come yet
    window.canvas.set_image(digit_on_paper(sample, 0))
    assert window.model_panel.input_view.placeholder() == "Reading your digit…"
