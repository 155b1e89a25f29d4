"""Number mode in the main window, driven as a person would (pytest-qt, offscreen): open or write a number, see a
box per digit and the number large, click a digit to see it in the single-digit panels, copy it, clear it."""

import io

import numpy as np
import pytest
from PIL import Image, ImageQt
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

import numbergen
from desktop_cvae.gui.canvas import gray_to_qimage
from desktop_cvae.gui.main_window import MainWindow
from test_gui import ANSWER_TIMEOUT, LOAD_TIMEOUT, draw, no_threads_left_behind, settle, window  # noqa: F401 (fixtures)
from test_numbers import date_with_short_slashes, marked_up, paper, row, with_a_smiley


@pytest.fixture
def number_file(tmp_path, readable):
    ink, _ = row(readable, "4071", 0.25, height=120)
    path = tmp_path / "number.png"
    Image.fromarray((paper(ink) * 255).astype(np.uint8)).save(path)
    return str(path)


def read(qtbot, window, action):
    """Do something and wait for the newest request's number."""
    with qtbot.waitSignal(window.worker.number_read, timeout=ANSWER_TIMEOUT):
        action()
    qtbot.waitUntil(lambda: window._shown_id >= window._request_id - 1, timeout=ANSWER_TIMEOUT)


def test_number_mode_is_in_the_input_menu_with_its_shortcuts(window):
    assert window.digit_mode_action.shortcut().toString() == "Ctrl+1"
    assert window.number_mode_action.shortcut().toString() == "Ctrl+2"
    assert window.copy_number_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Copy)
    square = window.canvas.width()
    window.number_mode_action.trigger()
    assert window.state.mode == "number" and window.input_panel.number_mode_button.isChecked()
    assert window.canvas.width() > 2 * square and window.number_panel.isVisible()
    window.digit_mode_action.trigger()
    assert window.canvas.width() == square and not window.number_panel.isVisible()


def test_an_opened_photo_of_a_number_gets_a_box_per_digit_and_the_number_large(qtbot, window, number_file):
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    reading = window.number_panel.reading
    assert reading.number == "4071"
    assert [b.text.rstrip("?") for b in window.canvas.boxes()] == list("4071")
    assert [b.text().split("\n")[0].rstrip("?") for b in window.number_panel.buttons()] == list("4071")
    assert "4071" in window.number_panel.summary.text()
    # Boxes lie on the picture as the canvas shows it, left to right, inside the canvas.
    rects = [window.canvas.box_rect(b) for b in window.canvas.boxes()]
    assert all(0 <= r.left() and r.right() <= window.canvas.width() for r in rects)
    assert [r.left() for r in rects] == sorted(r.left() for r in rects)


def test_a_number_small_in_a_large_photo_is_read_from_the_photos_own_pixels(qtbot, window, readable, tmp_path):
    """Opened pictures are kept large enough for the reader's closer second look (a card far off on a desk)."""
    ink, _ = row(readable, "739164", 0.2, height=60, width_factor=1.0)
    page = np.zeros((2400, 4000), np.float32)
    page[1100: 1100 + ink.shape[0], 1700: 1700 + ink.shape[1]] = ink
    path = tmp_path / "phone.png"
    Image.fromarray((paper(page, lamp=0.1, noise=0.01) * 255).astype(np.uint8)).save(path)
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(str(path)))
    reading = window.number_panel.reading
    assert reading.number == "739164" and reading.source_size == (4000, 2400)
    assert "the number was small in the picture: read again from its own pixels" in reading.notes
    rects = [window.canvas.box_rect(b) for b in window.canvas.boxes()]
    assert len(rects) == 6 and all(0 <= r.left() and r.right() <= window.canvas.width() for r in rects)


def test_a_number_opened_as_one_digit_says_so_and_its_link_reads_it_whole(qtbot, window, number_file, tmp_path,
                                                                         readable):
    """Opened in one-digit mode, a number is all its digits squeezed into one: never a bare "4 (53%)"."""
    assert window.state.mode == "digit"
    assert window.open_image_file(number_file)
    settle(qtbot, window)
    panel = window.model_panel
    assert panel.several_label.isVisible() and panel.recognised_label.text().startswith("<span")
    assert "Several digits (as one: " in panel.recognised_label.text()
    assert not panel.ood_label.isVisible()  # the several-digits warning says why, not "unlike any digit"
    assert "several digits side by side" in window.input_panel.notes_label.text()
    read(qtbot, window, lambda: panel.several_label.linkActivated.emit("number"))
    assert window.state.mode == "number" and window.number_panel.reading.number == "4071"
    assert not panel.several_label.isVisible()
    window.digit_mode_action.trigger()
    one = tmp_path / "one.png"
    Image.fromarray((paper(np.pad(numbergen.digit_ink(readable[3][0], 100, 1.0), 60)) * 255).astype(np.uint8)).save(one)
    assert window.open_image_file(str(one))
    settle(qtbot, window)
    assert not panel.several_label.isVisible() and panel.recognised_label.text().startswith("3")


def test_a_click_on_a_digit_shows_it_in_the_single_digit_panels(qtbot, window, number_file):
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    qtbot.waitUntil(lambda: window._shown_id == window._request_id, timeout=ANSWER_TIMEOUT)
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT) as shown:
        qtbot.mouseClick(window.number_panel.buttons()[2], Qt.MouseButton.LeftButton)
    digit = window.number_panel.reading.digits[2]
    np.testing.assert_allclose(shown.args[0].model_input, digit.normalized.pixels)
    assert window.model_panel.recognised_label.text().startswith("7")
    assert [b.selected for b in window.canvas.boxes()] == [False, False, True, False]
    assert "digit 3 of the 4 read" in window.input_panel.notes_label.text()


def test_ctrl_c_copies_the_number(qtbot, window, number_file):
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    QApplication.clipboard().clear()
    assert window.copy_number_action.isEnabled()
    window.copy_number_action.trigger()
    assert QApplication.clipboard().text() == "4071"


def test_writing_on_the_wide_canvas_then_clearing_leaves_nothing_stale(qtbot, window):
    window.number_mode_action.trigger()
    h = window.canvas.height()

    def two_ones():
        for x in (150, 420):
            draw(qtbot, window.canvas, [(x, int(h * 0.2) + 8 * i) for i in range(20)])

    read(qtbot, window, two_ones)
    qtbot.waitUntil(lambda: window.number_panel.reading is not None
                    and window.number_panel.reading.number == "11", timeout=ANSWER_TIMEOUT)
    assert len(window.canvas.boxes()) == 2
    window.input_panel.clear_button.click()
    qtbot.waitUntil(lambda: window._shown_id == window._request_id, timeout=ANSWER_TIMEOUT)
    assert window.canvas.boxes() == [] and window.number_panel.reading is None
    assert window.number_panel.message.text() == "Write a number"
    assert not window.copy_number_action.isEnabled() and window.model_panel.input_view.array() is None


def test_a_picture_with_no_number_says_so_and_drops_the_last_reading(qtbot, window, number_file, tmp_path):
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    faint = tmp_path / "faint.png"
    Image.fromarray(np.full((200, 600), 235, np.uint8)).save(faint)
    assert not window.open_image_file(str(faint))  # refused at once: nothing on it
    assert "No ink" in window.input_panel.message_label.text()
    # The number read before stays: it is still what the canvas shows.
    assert window.number_panel.reading.number == "4071" and len(window.canvas.boxes()) == 4


def test_the_newest_request_wins(qtbot, window, readable):
    window.number_mode_action.trigger()
    pictures = []
    for number in ("12", "345", "6789"):
        ink, _ = row(readable, number, 0.3)
        pictures.append(paper(ink))
    with qtbot.waitSignal(window.worker.number_read, timeout=ANSWER_TIMEOUT):
        for p in pictures:  # pasted faster than the worker reads: only the last must be shown
            QApplication.clipboard().setImage(gray_to_qimage(p))
            window.paste_image()
    qtbot.waitUntil(lambda: window.number_panel.reading is not None
                    and window.number_panel.reading.number == "6789", timeout=ANSWER_TIMEOUT)
    qtbot.wait(300)
    assert window.number_panel.reading.number == "6789"


@pytest.mark.parametrize("number, seed", [("52809", 4), ("4071", 3), ("8003497", 0)])
def test_a_pasted_photo_in_colour_is_read_as_the_same_photo_opened(qtbot, window, readable, number, seed):
    """Soft pencil on blue squares is read only where its colour is (the rules go, the pencil stays): pasted, these
    photos went to grey by Qt's luminance and read "82", "2" and "82"; opened, they read right."""
    digits = np.stack([readable[int(ch)][0] for ch in number])
    photo = Image.open(io.BytesIO(numbergen.pencil_on_squared_paper(digits, np.random.default_rng(seed))))
    window.number_mode_action.trigger()
    QApplication.clipboard().setImage(ImageQt.ImageQt(photo.convert("RGB")))
    read(qtbot, window, window.paste_image)
    assert window.number_panel.reading.number == number


def test_a_pasted_picture_with_a_clear_background_is_read(qtbot, window, readable):
    """Dark strokes on a transparent background (a drawing copied from another program): Qt's grey made the clear
    pixels black, and the strokes vanished into them."""
    ink, _ = row(readable, "4071", 0.3)
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., 3] = (np.clip(ink, 0, 1) * 255).astype(np.uint8)  # black ink, opaque only where it is
    window.number_mode_action.trigger()
    QApplication.clipboard().setImage(ImageQt.ImageQt(Image.fromarray(rgba, "RGBA")))
    read(qtbot, window, window.paste_image)
    assert window.number_panel.reading.number == "4071"
    assert not window.input_panel.message_label.isVisible()


def test_a_pasted_photo_larger_than_the_canvas_keeps_is_shrunk_and_read(qtbot, window, readable):
    ink, _ = row(readable, "4071", 0.3, height=400)
    big = paper(np.pad(ink, ((600, 600), (1500, 1500))))  # wider than the 4,096 pixels kept
    assert max(big.shape) > 4096
    window.number_mode_action.trigger()
    QApplication.clipboard().setImage(gray_to_qimage(big))
    read(qtbot, window, window.paste_image)
    assert max(window.canvas.source_picture().shape) == 4096
    assert window.number_panel.reading.number == "4071"


def test_a_pasted_picture_with_no_ink_says_so_and_keeps_the_last_reading(qtbot, window, number_file):
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    QApplication.clipboard().setImage(gray_to_qimage(np.full((200, 600), 0.92, np.float32)))
    window.paste_image()
    assert "No ink" in window.input_panel.message_label.text()
    assert window.number_panel.reading.number == "4071" and len(window.canvas.boxes()) == 4


def test_the_mode_is_remembered(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, models_dir=tmp_path / "models")
    qtbot.addWidget(w)
    w.number_mode_action.trigger()
    w.close()
    again = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                       models_dir=tmp_path / "models")
    qtbot.addWidget(again)
    assert again.state.mode == "number" and again.canvas.width() > again.canvas.height() * 2
    again.close()


def test_a_plain_vae_says_it_cannot_read_numbers(qtbot, window, number_file):
    from desktop_cvae.catalog import list_models

    plain = next(e.path for e in list_models() if e.shipped and not e.meta["config"].get("conditional", True))
    with qtbot.waitSignal(window.state.model_changed, timeout=LOAD_TIMEOUT):
        window.load_model(str(plain))
    window.number_mode_action.trigger()
    with qtbot.waitSignal(window.worker.input_failed, timeout=ANSWER_TIMEOUT):
        window.open_image_file(number_file)
    qtbot.waitUntil(lambda: "plain VAE" in window.number_panel.message.text(), timeout=ANSWER_TIMEOUT)
    assert window.canvas.boxes() == []


def test_a_digit_whose_split_is_in_doubt_is_marked_and_says_why(qtbot, window, readable, tmp_path, monkeypatch):
    from desktop_cvae.numbers import reader

    monkeypatch.setattr(reader, "SPLIT_MARGIN", 1e6)  # any other split is close: the 8 and 3, one piece, are doubted
    ink, _ = row(readable, "4830", [0.3, -0.08, 0.3], height=120)
    path = tmp_path / "touching.png"
    Image.fromarray((paper(ink) * 255).astype(np.uint8)).save(path)
    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(str(path)))
    buttons = window.number_panel.buttons()
    assert [b.text().split("\n")[0] for b in buttons] == ["4", "8?", "3?", "0"]
    assert "split another way" in buttons[1].toolTip() and "split another way" not in buttons[0].toolTip()
    assert "Unsure of digit 2, 3" in window.number_panel.summary.text()
    assert "Digit 2, 3: the ink may be split another way" in window.number_panel.summary.text()


def test_a_dates_slashes_are_marked_and_say_why_and_its_full_stops_are_left_out(qtbot, window, readable, tmp_path):
    window.number_mode_action.trigger()
    # Slashes no taller than the digits may be 1s (taller ones are left out: test_numbers.py).
    for layout, shown, picture in (("12/05/94", ["1", "2", "1?", "0", "5", "1?", "9", "4"],
                                    date_with_short_slashes(readable)),
                                   ("12.05.94", list("120594"), marked_up(readable, "12.05.94", seed=3))):
        path = tmp_path / f"{len(shown)}.png"
        Image.fromarray((picture * 255).astype(np.uint8)).save(path)
        read(qtbot, window, lambda: window.open_image_file(str(path)))
        buttons = window.number_panel.buttons()
        assert [b.text().split("\n")[0] for b in buttons] == shown
        summary = window.number_panel.summary.text()
        if "/" in layout:
            assert "slash" in buttons[2].toolTip() and "slash" not in buttons[1].toolTip()
            assert "Digit 3, 6: a 1 that leans like a date's slash: it may be one" in summary
        else:
            assert "slash" not in summary
            notes = window.input_panel.notes_label  # said with the first digit's panels, which follow the number
            qtbot.waitUntil(lambda: "digit 1 of the 6 read" in notes.text(), timeout=ANSWER_TIMEOUT)
            assert "2 marks between the digits left out" in notes.text()


def test_the_panels_call_a_digit_of_a_number_unlike_any_digit_as_the_number_panel_does(qtbot, window, readable,
                                                                                       tmp_path, monkeypatch):
    # The single-digit panels judged the digit by the single digit's threshold, the number panel by the reader's:
    # one digit, "Not a digit" on one side and a plain 4 on the other.
    from desktop_cvae import letters
    from desktop_cvae.numbers import reader

    path = tmp_path / "smiley.png"
    Image.fromarray((paper(with_a_smiley(readable)) * 255).astype(np.uint8)).save(path)
    window.number_mode_action.trigger()
    for threshold, flagged in ((reader.NOT_A_DIGIT_PERCENTILE, True), (100.0, False)):
        monkeypatch.setattr(reader, "NOT_A_DIGIT_PERCENTILE", threshold)
        if not flagged:  # nor a drawing to the letter judge, which learnt smileys: the bound's threshold alone
            monkeypatch.setattr(letters, "taken_for_letters", lambda pixels: np.zeros(len(pixels), bool))
        read(qtbot, window, lambda: window.open_image_file(str(path)))
        qtbot.waitUntil(lambda: window._shown_id == window._request_id, timeout=ANSWER_TIMEOUT)
        with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
            qtbot.mouseClick(window.number_panel.buttons()[2], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window._shown_id == window._request_id, timeout=ANSWER_TIMEOUT)
        assert window.number_panel.reading.digits[2].looks_like_digit is not flagged
        assert window.model_panel.ood_label.isVisible() is flagged
        assert ("Not a digit" in window.model_panel.recognised_label.text()) is flagged


def test_a_long_number_shrinks_its_tiles_to_fit_and_a_short_one_keeps_them_large(qtbot):
    from PySide6.QtGui import QFontMetricsF

    from desktop_cvae.gui.number_panel import NumberPanel
    from desktop_cvae.numbers.reader import DigitReading, NumberReading

    panel = NumberPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 200)
    panel.show()
    sure = np.eye(10)[8]

    def shown(n):
        panel.set_reading(NumberReading([DigitReading((0, 0, 1, 1), 8, sure, 0.0, True, None) for _ in range(n)]))
        QApplication.processEvents()
        return panel.buttons()

    twelve = shown(12)
    for b in twelve:  # "100%" whole, not cut to "1...%"
        assert b.text().endswith("100%")
        assert QFontMetricsF(b.font()).horizontalAdvance("100%") < b.width()
    assert max(b.geometry().right() for b in twelve) <= panel.width()
    small = twelve[0].font().pointSizeF()
    three = shown(3)
    assert three[0].font().pointSizeF() > small  # room to spare: the tiles stay large
    assert three[0].font().pointSizeF() == pytest.approx(panel.font().pointSizeF() * 1.6)


def test_an_empty_box_opened_says_nothing_is_written_in_it(qtbot, window, number_file, tmp_path):
    """A form's field left blank was read as a sure 0 (as one digit) or "0" marked (as a number). Now it is refused
    at once, as a blank page is, in either mode, and what the canvas shows is left as it was."""
    import empty_boxes

    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    box = tmp_path / "blank field.jpg"
    box.write_bytes(empty_boxes.printed_box(np.random.default_rng(0)))
    assert not window.open_image_file(str(box))
    # The answers still on their way (the first digit shown in the panels) are the number's: the message stays.
    settle(qtbot, window)
    assert "the box is empty" in window.input_panel.message_label.text()
    assert window.input_panel.message_label.isVisible()
    assert window.number_panel.reading.number == "4071" and len(window.canvas.boxes()) == 4
    window.digit_mode_action.trigger()
    settle(qtbot, window)
    assert not window.open_image_file(str(box))
    assert "the box is empty" in window.input_panel.message_label.text()
    assert window.input_panel.message_label.isVisible()


def test_a_word_opened_in_number_mode_is_refused_and_a_letter_in_digit_mode_is_no_digit(qtbot, window, number_file,
                                                                                      tmp_path):
    """A printed word was read as a sure number ("Hello" as 48110 at 98 %), and a printed "A" as a sure 4."""
    from test_letters import printed_ink

    window.number_mode_action.trigger()
    read(qtbot, window, lambda: window.open_image_file(number_file))
    word = tmp_path / "word.png"
    Image.fromarray((paper(printed_ink("Hello", "DejaVuSans")) * 255).astype(np.uint8)).save(word)
    with qtbot.waitSignal(window.worker.input_failed, timeout=ANSWER_TIMEOUT):
        assert window.open_image_file(str(word))
    settle(qtbot, window)
    assert "looks like writing in letters" in window.number_panel.message.text()
    assert window.number_panel.message.isVisible() and window.number_panel.reading is None
    assert window.canvas.boxes() == [] and not window.copy_number_action.isEnabled()  # no stale number left

    window.digit_mode_action.trigger()
    letter = tmp_path / "letter.png"
    Image.fromarray((paper(printed_ink("A", "DejaVuSans")) * 255).astype(np.uint8)).save(letter)
    with qtbot.waitSignal(window.worker.analyzed, timeout=ANSWER_TIMEOUT):
        assert window.open_image_file(str(letter))
    settle(qtbot, window)  # the first answer may be the mode switch's: what counts is what the window shows at last
    assert "Not a digit" in window.model_panel.recognised_label.text()
    assert window.model_panel.ood_label.text().startswith("⚠ This looks like a letter, sign or drawing, not a digit")
    window.model_panel.sigma_slider.setValue(30)  # the check is made on the input before the noise, and says so
    settle(qtbot, window)
    assert window.model_panel.ood_label.text().startswith("⚠ Before the noise, this looks like a letter, sign or drawing")
