"""The web service under load, against seed 001's way of serving (Flask, one Keras predict() per request).

    python benchmarks/serve_load.py [--clients 1 8 32] [--requests 2000] [--soak 10000] [--seed-requests 400]
                                    [--pictures KIND ...] [--distinct N] [--pace MS] [--workers N] [--json]

Starts `desktop-cvae serve` and a seed-style Flask app (this file with --seed-app: Flask's own threaded server,
the upload saved to a folder as the seed did, the same normalisation, then one `model.predict()` on the same
model) on 127.0.0.1, and sends each of them N concurrent clients that post real digit pictures to it back to
back (or one each --pace milliseconds), on keep-alive connections where the server keeps them. Prints throughput,
p50, p90 and p99 latency, errors, and the server's resident memory (with its worker processes); --soak sends that
many more requests to desktop-cvae serve at the most clients and reports its memory every 1,000. Every request
goes to 127.0.0.1, and the run stops by itself.

Pictures: MNIST test digits (the full set with --data, else the shipped sample's), as people send them to the
page, in turn: by default MNIST's own 28x28 PNG and the digit drawn dark on white on the page's 280x280 pad;
--pictures adds or swaps in 500x400 screenshots and 1600x1200 phone photos, whose normalisation alone costs
about 10 and 30-50 ms of CPU each. Needs the [serve] extra and Flask (pip install flask).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BOUNDARY = "----desktop-cvae-load"


# -- the seed-style server -------------------------------------------------------------------------------------
def seed_app(port: int) -> None:
    """Seed 001's Flask service (Fig. 7-9), with today's model and normalisation so only the serving differs."""
    import keras
    from flask import Flask, jsonify, request

    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine
    from desktop_cvae.vision.preprocess import normalize_file

    engine = Engine.load(default_model_path())

    class Recogniser(keras.Model):  # the engine's batch graph as a Keras model, so predict() runs it
        def call(self, images):
            return engine._recognise_impl(images)

    model = Recogniser()
    upload_folder = tempfile.mkdtemp(prefix="seed-uploads-")
    app = Flask(__name__)
    app.config["UPLOAD_FOLDER"] = upload_folder
    allowed = {"png", "jpg", "jpeg"}
    counter = iter(range(10**9))

    @app.route("/", methods=["POST"])
    def index():
        file = request.files["file"]
        if not ("." in file.filename and file.filename.rsplit(".", 1)[1].lower() in allowed):
            return jsonify(error="not allowed"), 400
        path = os.path.join(app.config["UPLOAD_FOLDER"], f"{next(counter)}-{file.filename}")
        file.save(path)
        pixels = normalize_file(path).pixels
        scores, _, _ = model.predict(pixels[None, :, :, None], verbose=0)
        probs = engine.probabilities(scores[0])  # calibrated, as the service answers
        label = int(np.argmax(probs))
        return jsonify(label=label, probabilities=probs.tolist(), neg_elbo=float(scores[0][label]))

    @app.route("/healthz")
    def healthz():
        return "ok"

    app.run(host="127.0.0.1", port=port, threaded=True)


# -- pictures ------------------------------------------------------------------------------------------------
KINDS = ("mnist", "pad", "screenshot", "photo")


def pictures(kinds: list[str], n: int, data: str | None) -> list[tuple[bytes, int]]:
    """n test digits, each as the next of `kinds` in turn: "mnist", MNIST's own 28x28 PNG (light on black, as
    the seed's figure shows); "pad", drawn dark on white on the page's 280x280 pad; "screenshot", a 500x400
    screenshot; "photo", a 1600x1200 phone photo (benchmarks/imagegen.py)."""
    sys.path.insert(0, str(HERE))
    import imagegen
    from PIL import Image

    from desktop_cvae.data import load_npz, load_sample

    ds = load_npz(data) if data else load_sample()
    rng = np.random.default_rng(0)
    out = []
    for k, i in enumerate(rng.choice(len(ds.x_test), n, replace=False)):
        kind, digit = kinds[k % len(kinds)], ds.x_test[i]
        if kind in ("mnist", "pad"):
            img = Image.fromarray(digit)
            if kind == "pad":
                img = Image.fromarray(255 - digit).resize((280, 280), Image.Resampling.BILINEAR)
            buf = io.BytesIO()
            img.save(buf, "PNG")
            body = buf.getvalue()
        else:
            make = imagegen.screenshot if kind == "screenshot" else imagegen.phone_photo
            body = make(digit.astype(np.float32) / 255.0, rng)
        out.append((body, int(ds.y_test[i])))
    return out


def multipart(body: bytes, path: str, port: int, name: str) -> bytes:
    payload = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n").encode() + body + f"\r\n--{BOUNDARY}--\r\n".encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: multipart/form-data; "
            f"boundary={BOUNDARY}\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
    return head + payload


# -- the load ------------------------------------------------------------------------------------------------
async def _response(reader) -> tuple[int, bytes, bool]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    version, status = status_line.split(b" ", 2)[:2]
    length, close = None, version == b"HTTP/1.0"
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.partition(b":")
        k, v = k.strip().lower(), v.strip().lower()
        if k == b"content-length":
            length = int(v)
        elif k == b"connection":
            close = v == b"close" or (v != b"keep-alive" and close)
    body = await reader.readexactly(length) if length is not None else await reader.read()
    return int(status), body, close or length is None


async def _load(port: int, requests: list[tuple[bytes, int]], clients: int, total: int, check: bool,
                on_progress=None, pace_ms: float = 0.0) -> dict:
    """Each client sends its next request as soon as it has the answer, or with `pace_ms`, no sooner than that
    long after its previous one was sent (clients start staggered over one pace)."""
    latencies, errors, wrong, sent, done = [], 0, 0, 0, 0
    first_error = None

    async def client(k: int):
        nonlocal errors, wrong, sent, done, first_error
        reader = writer = None
        next_at = time.perf_counter() + pace_ms / 1000 * k / clients
        while sent < total:
            if pace_ms:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += pace_ms / 1000
            i = sent
            sent += 1
            req, label = requests[i % len(requests)]
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            t0 = time.perf_counter()
            try:
                writer.write(req)
                await writer.drain()
                status, body, close = await _response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as e:
                errors += 1
                first_error = first_error or repr(e)
                writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors += 1
                first_error = first_error or f"{status} {body[:200]!r}"
            elif check and json.loads(body)["label"] != label:
                wrong += 1
            if close:
                writer.close()
                reader = writer = None
            done += 1
            if on_progress and done % 1000 == 0:
                on_progress(done)
        if writer is not None:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - t0
    ms = np.array(latencies) * 1000
    return {"clients": clients, "pace_ms": pace_ms, "requests": total, "seconds": round(wall, 2),
            "throughput_rps": round(total / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p90_ms": round(float(np.percentile(ms, 90)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1), "errors": errors, "misread": wrong,
            "first_error": first_error}


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its child processes (the upload-preparing workers), MB."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            proc.log.seek(0)
            raise SystemExit(f"the server exited: {proc.log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start in time")


def start(kind: str, folder: str, workers: int | None = None) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "DESKTOP_CVAE_DATA": folder}
    if kind == "serve":
        cmd = [sys.executable, "-m", "desktop_cvae", "serve", "--port", str(port),
               "--db", f"sqlite:///{folder}/archive.sqlite3", *(["--workers", str(workers)] if workers else [])]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--seed-app", str(port)]
    # The server's output goes to a file: Flask's server logs every request, and a pipe nobody reads fills up
    # and stops it.
    log = open(Path(folder) / "server.log", "w+")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log = log
    _wait_up(port, proc)
    return proc, port


def measure(kind: str, pics, clients_list, requests: int, soak: int, log, pace_ms: float = 0.0,
            workers: int | None = None) -> dict:
    path = "/api/recognize" if kind == "serve" else "/"
    with tempfile.TemporaryDirectory() as folder:
        proc, port = start(kind, folder, workers)
        try:
            bodies = [(multipart(b, path, port, f"digit-{i}.png"), y) for i, (b, y) in enumerate(pics)]
            asyncio.run(_load(port, bodies, 4, 100, False))  # warm-up: graphs traced, pools filled
            runs, rss0 = [], rss_mb(proc.pid)
            for clients in clients_list:
                r = asyncio.run(_load(port, bodies, clients, requests, True, pace_ms=pace_ms))
                r["rss_mb"] = round(rss_mb(proc.pid), 1)
                runs.append(r)
                paced = f", one each {pace_ms:g} ms" if pace_ms else ""
                log(f"{kind:6s} {clients:3d} clients{paced}: {r['throughput_rps']:7.1f} req/s  "
                    f"p50 {r['p50_ms']:6.1f} ms  p90 {r['p90_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
                    f"max {r['max_ms']:6.0f} ms  "
                    f"errors {r['errors']}  misread {r['misread']}  memory {r['rss_mb']:.0f} MB")
            out = {"server": kind, "runs": runs, "rss_after_warmup_mb": round(rss0, 1)}
            if soak:
                trace = [(0, round(rss_mb(proc.pid), 1))]
                r = asyncio.run(_load(port, bodies, max(clients_list), soak, False,
                                      on_progress=lambda n: trace.append((n, round(rss_mb(proc.pid), 1)))))
                r["rss_trace_mb"] = trace
                out["soak"] = r
                log(f"{kind:6s} soak of {soak} requests: {r['throughput_rps']:.1f} req/s, errors {r['errors']}, "
                    f"memory {' '.join(f'{m:.0f}' for _, m in trace)} MB (every 1,000)")
            return out
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="concurrent clients per run")
    p.add_argument("--requests", type=int, default=2000, help="requests per run to desktop-cvae serve")
    p.add_argument("--seed-requests", type=int, default=400, help="requests per run to the seed-style app")
    p.add_argument("--soak", type=int, default=10000, help="then this many to desktop-cvae serve, memory traced")
    p.add_argument("--pictures", nargs="+", choices=KINDS, default=["mnist", "pad"],
                   help="the kinds of picture posted, in turn (default: mnist pad)")
    p.add_argument("--distinct", type=int, default=300, help="different pictures, sent in turn (photos take about "
                   "a second each to make: 30 is plenty)")
    p.add_argument("--data", help="MNIST-format .npz for the test digits (default: the shipped sample)")
    p.add_argument("--skip-seed", action="store_true", help="measure desktop-cvae serve alone")
    p.add_argument("--pace", type=float, default=0.0, metavar="MS",
                   help="each client sends at most one request every MS milliseconds (default: back to back)")
    p.add_argument("--workers", type=int, help="desktop-cvae serve --workers N (default: its own)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--seed-app", type=int, metavar="PORT", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.seed_app:
        return seed_app(a.seed_app)
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if a.json else (lambda s: print(s, flush=True))
    pics = pictures(a.pictures, a.distinct, a.data)
    result = {"pictures": a.pictures, "cores": os.cpu_count(),
              "serve": measure("serve", pics, a.clients, a.requests, a.soak, log, a.pace, a.workers)}
    if not a.skip_seed:
        result["seed"] = measure("seed", pics, a.clients, a.seed_requests, 0, log, a.pace)
        ratios = [s["throughput_rps"] / f["throughput_rps"]
                  for s, f in zip(result["serve"]["runs"], result["seed"]["runs"])]
        result["throughput_ratio"] = [round(r, 1) for r in ratios]
        log("throughput, desktop-cvae serve / seed-style: "
            + ", ".join(f"{c} clients {r:.1f}x" for c, r in zip(a.clients, ratios)))
    if a.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
