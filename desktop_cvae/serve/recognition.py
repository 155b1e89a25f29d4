"""What the service does with a picture: decode it safely, normalise it as the app does, put it through the
model in a batch with whatever else arrived, and say what came out. No web framework here."""

from __future__ import annotations

import asyncio
import base64
import io
import multiprocessing
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..numbers.digit import normalize_image
from ..vision.imageio import ImageError, decode_image
from ..vision.preprocess import NoInkError, Normalized, add_noise
from .batcher import Batcher

PICTURE_SIDE = 640  # the archive keeps the picture at most this large
THUMBNAIL_SIDE = 96
MAX_NOISE = 1.0


class InputError(ValueError):
    """The upload cannot be recognised; the message is fit to show the person who sent it."""


@dataclass
class Recognition:
    normalized: Normalized
    noisy: np.ndarray  # (28, 28) what went into the model
    analysis: object  # engine.Analysis of the noisy input
    not_a_digit: bool  # judged on the clean input, as the app judges it; several digits squeezed into one are not one
    noise: float

    def to_json(self) -> dict:
        a = self.analysis
        return {"label": a.recognised,
                "probabilities": None if a.probabilities is None else [round(float(p), 6) for p in a.probabilities],
                "neg_elbo": round(float(a.neg_elbo), 4), "not_a_digit": self.not_a_digit, "noise": self.noise,
                "notes": list(self.normalized.notes)}


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def pixels_png(pixels: np.ndarray) -> bytes:
    """A 28x28 array in [0, 1] as an 8-bit grey PNG."""
    return png_bytes(Image.fromarray((np.clip(pixels, 0, 1) * 255).round().astype(np.uint8), mode="L"))


def png_pixels(data: bytes) -> np.ndarray:
    """Back from pixels_png (our own stored PNG) to [0, 1] floats."""
    with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
        return np.asarray(im.convert("L"), np.float32) / 255.0


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def reencoded(img: Image.Image, side: int) -> bytes:
    """The picture as the archive keeps it: shrunk, flattened onto white, re-encoded as PNG (no metadata)."""
    im = img.copy()
    if im.mode not in ("RGB", "L"):
        if im.mode in ("I", "I;16", "F"):
            from ..vision.preprocess import image_to_gray

            im = Image.fromarray((image_to_gray(im) * 255).astype(np.uint8), mode="L")
        else:
            rgba = im.convert("RGBA")
            im = Image.new("RGB", rgba.size, "white")
            im.paste(rgba, mask=rgba.getchannel("A"))
    im.thumbnail((side, side), Image.Resampling.LANCZOS)
    return png_bytes(im)


def decode_upload(data: bytes) -> Image.Image:
    """The app's safe decoder on the bytes themselves: neither the client's filename nor its extension counts."""
    if not data:
        raise InputError("the upload is empty")
    try:
        return decode_image(io.BytesIO(data), "the upload")
    except ImageError as e:
        raise InputError(str(e)) from None


def normalise(img: Image.Image) -> Normalized:
    try:
        return normalize_image(img)
    except NoInkError as e:
        raise InputError(str(e)) from None


def normalise_bytes(data: bytes) -> Normalized:
    """Upload bytes to the 28x28 model input: what a preparing process runs."""
    return normalise(decode_upload(data))


class Preparers:
    """Decoding and normalising uploads in worker processes. That is most of a request's CPU time (2-10 ms for
    a drawing or a screenshot, 30-50 ms for a phone photo) and mostly Python holding the GIL: in threads it
    would queue behind the event loop and itself; in processes it uses every core. Each worker is a process
    with a pipe that the event loop watches itself (no executor threads between them). A decoder that dies on
    a hostile file takes its worker with it, not the server: the worker is started anew and the upload refused."""

    def __init__(self, workers: int | None = None):
        # One more worker than cores: while one waits on its pipe (its upload arriving, its answer being read),
        # the cores still have a worker to run. docs/SERVE.md measures 3 against 2 on two cores.
        self.workers = workers or max(2, min((os.cpu_count() or 1) + 1, 5))
        # spawn: the server holds TensorFlow's threads, which a forked child must not inherit.
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue | None = None
        self._all: list = [self._start() for _ in range(self.workers)]
        for proc, conn in self._all:  # started and importable before the first request
            if not conn.poll(120):
                raise RuntimeError("an upload-preparing process did not start")
            conn.recv_bytes()

    def _start(self):
        ours, theirs = self._context.Pipe(duplex=True)
        proc = self._context.Process(target=_prepare_loop, args=(theirs,), name="desktop-cvae-prepare", daemon=True)
        proc.start()
        theirs.close()
        return proc, ours

    async def normalise(self, data: bytes) -> Normalized:
        if self._idle is None:  # made on the event loop that uses it
            self._idle = asyncio.Queue()
            for w in self._all:
                self._idle.put_nowait(w)
        worker = await self._idle.get()
        # The round trip runs to its end even if the request waiting for it is cancelled (its client went away),
        # so every worker comes back to the pool with nothing left unread in its pipe.
        trip = asyncio.ensure_future(self._round_trip(worker, data))
        trip.add_done_callback(lambda t: t.cancelled() or t.exception())  # an abandoned trip's error is no news
        return await asyncio.shield(trip)

    async def _round_trip(self, worker, data: bytes) -> Normalized:
        proc, conn = worker
        loop = asyncio.get_running_loop()
        answered: asyncio.Future = loop.create_future()
        fd = conn.fileno()
        kind = None
        try:
            # The pipe is used blocking: the idle worker drains an upload as fast as it is written, and its answer
            # is read once the loop says it is there. uvloop makes a watched descriptor non-blocking, so the mode
            # is set back before each send and read (a 300 KB photo did not fit the socket's buffer).
            os.set_blocking(fd, True)
            conn.send_bytes(data)
            loop.add_reader(fd, lambda: answered.done() or answered.set_result(None))
            try:
                await answered
            finally:
                loop.remove_reader(fd)
            os.set_blocking(fd, True)
            kind, payload = _unpack(conn.recv_bytes())
        except (EOFError, OSError):
            pass
        if kind is None:  # the worker died under this upload
            proc.join(1)
            conn.close()
            worker = await asyncio.to_thread(self._fresh)
            self._all = [w if w[0] is not proc else worker for w in self._all]
            self._idle.put_nowait(worker)
            raise InputError("the upload stopped the image decoder; it cannot be read")
        self._idle.put_nowait(worker)
        if kind == "error":
            raise InputError(payload)
        return payload

    def _fresh(self):
        proc, conn = self._start()
        conn.poll(120)
        conn.recv_bytes()
        return proc, conn

    def close(self) -> None:
        for proc, conn in self._all:
            try:
                conn.close()  # the worker's recv ends with EOFError and it exits
            except OSError:
                pass
        for proc, _ in self._all:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


def _pack(kind: str, payload) -> bytes:
    import pickle

    return pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(data: bytes):
    import pickle

    return pickle.loads(data)  # from our own worker process only, never from a client


def _prepare_loop(conn) -> None:
    """A preparing process: bytes in, a Normalized (or the message why not) out, until the pipe closes."""
    conn.send_bytes(b"ready")
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            answer = _pack("ok", normalise_bytes(data))
        except InputError as e:
            answer = _pack("error", str(e))
        except Exception as e:  # noqa: BLE001 - any decoder failure is this upload's, never the worker's end
            answer = _pack("error", f"the upload cannot be decoded ({type(e).__name__})")
        conn.send_bytes(answer)


def check_noise(noise: float) -> float:
    if not (0.0 <= noise <= MAX_NOISE):  # NaN fails this too
        raise InputError(f"noise must be a number from 0 to {MAX_NOISE:g} (Gaussian sigma)")
    return float(noise)


class Recognizer:
    """The engine behind a batcher. The model is called only from the batcher's thread, a batch at a time."""

    def __init__(self, engine, max_batch: int = 64, wait_ms: float = 2.0, queue_size: int = 256):
        self.engine = engine
        engine.analyze_batch(np.zeros((1, 28, 28), np.float32))  # trace the batch graph before the first request
        self.batcher = Batcher(engine.analyze_batch, max_batch, wait_ms, queue_size)

    def close(self) -> None:
        self.batcher.close()

    async def analyse(self, pixels: np.ndarray):
        """One 28x28 input through the next batch. Raises batcher.QueueFull."""
        return await asyncio.wrap_future(self.batcher.submit(np.asarray(pixels, np.float32)))

    async def recognise(self, normalized: Normalized, noise: float = 0.0, seed: int = 0) -> Recognition:
        noisy = add_noise(normalized.pixels, noise, 0.0, seed)
        if noise > 0:  # "is it a digit?" is judged before the noise, which alone takes digits far from the test set
            clean, analysis = await asyncio.gather(self.analyse(normalized.pixels), self.analyse(noisy))
        else:
            clean = analysis = await self.analyse(noisy)
        return Recognition(normalized, noisy, analysis, not clean.looks_like_digit or normalized.several, noise)
