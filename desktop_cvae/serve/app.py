"""The FastAPI application: pages, the JSON API and the archive's images, built by `create_app(settings)`.

The model, the batcher and the archive live on `app.state` from start-up to shut-down (the lifespan); routes
reach them through two small accessors, and tests hand in their own engine and archive.
"""

from __future__ import annotations

import gc
import math
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
import numpy as np
from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from .. import __version__
from ..calibration import runner_up_if_unsure
from ..imaging import grid_image
from ..numbers.reader import cautions
from .archive import IMAGE_KINDS, Archive
from .batcher import QueueFull
from .guard import Guard
from .recognition import (PICTURE_SIDE, THUMBNAIL_SIDE, InputError, Preparers, Recognizer, check_noise, data_url,
                          decode_upload, pixels_png, png_bytes, png_pixels, reencoded)
from .settings import Settings

HERE = Path(__file__).resolve().parent
API_PREFIXES = ("/api/", "/healthz")


# -- what the API answers, for the OpenAPI description -------------------------------------------------------
class RecognizeAnswer(BaseModel):
    label: int | None = Field(description="the digit recognised (None for a plain VAE)")
    probabilities: list[float] | None = Field(description="p(label | picture) for 0..9, from the evidence bounds")
    neg_elbo: float = Field(description="-ELBO of the model input under the label, nats")
    not_a_digit: bool = Field(description="the picture does not look like any digit the model knows")
    noise: float = Field(description="Gaussian sigma added to the model input")
    notes: list[str] = Field(description="what normalisation detected (a sheet on a desk, light ink, ...)")
    id: int | None = Field(None, description="the archive entry, when archive=true")
    number: dict | None = Field(None, description="with number=true: the picture read as a whole number")
    images: dict | None = Field(None, description="with images=true: the model input and reconstruction as PNG "
                                                  "data URLs")


class ErrorAnswer(BaseModel):
    error: str


class GenerateRequest(BaseModel):
    label: int = Field(ge=0, le=9, description="the digit to draw (ignored by a plain VAE)")
    n: int = Field(16, ge=1, le=100, description="how many")
    seed: int = Field(0, ge=0, le=2**31 - 1)


ERRORS = {c: {"model": ErrorAnswer} for c in (400, 401, 404, 413, 415, 422, 503)}


# -- the application -----------------------------------------------------------------------------------------
def create_app(settings: Settings | None = None, engine=None, archive: Archive | None = None) -> FastAPI:
    settings = (settings or Settings()).check()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        eng = engine
        if eng is None:
            from ..catalog import default_model_path
            from ..engine import Engine

            eng = await run_in_threadpool(Engine.load, settings.model_path or default_model_path())
        store = archive or Archive(settings.db_url)
        app.state.engine = eng
        app.state.recognizer = await run_in_threadpool(Recognizer, eng, settings.max_batch, settings.batch_wait_ms,
                                                       settings.queue_size)
        app.state.archive = store
        app.state.preparers = await run_in_threadpool(Preparers, settings.workers)
        # TensorFlow and Keras leave hundreds of thousands of long-lived objects, which every full collection
        # would walk again while requests wait; frozen, collections look only at what requests make.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.preparers.close()
            app.state.recognizer.close()
            if archive is None:
                store.close()

    app = FastAPI(title="Desktop CVAE", version=__version__, lifespan=lifespan,
                  description="Handwritten digits through a Keras conditional VAE: recognise, reconstruct, "
                              "generate, and an archive of earlier results.",
                  docs_url=None, redoc_url=None)  # Swagger's page loads scripts from a CDN: /openapi.json instead
    app.state.settings = settings
    app.add_middleware(Guard, token=settings.token, max_body=settings.max_upload_bytes)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    templates = Jinja2Templates(env=env)
    _error_handlers(app, templates)
    _api_routes(app)
    _page_routes(app, templates)
    return app


def recognizer(request: Request) -> Recognizer:
    return request.app.state.recognizer


def store(request: Request) -> Archive:
    return request.app.state.archive


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def _error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    def answer(request: Request, status: int, message: str, headers: dict | None = None):
        if _is_api(request):
            return JSONResponse({"error": message}, status, headers=headers)
        return templates.TemplateResponse(request, "error.html", {"status": status, "message": message}, status,
                                          headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):
        return answer(request, e.status_code, str(e.detail), getattr(e, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        parts = []
        for err in e.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return answer(request, 422, "; ".join(parts) or "invalid request")

    @app.exception_handler(InputError)
    async def bad_input(request: Request, e: InputError):
        return answer(request, 415 if "supported format" in str(e) else 400, str(e))

    @app.exception_handler(QueueFull)
    async def busy(request: Request, e: QueueFull):
        return answer(request, 503, f"{e}; try again in a second", {"Retry-After": "1"})


async def _read_upload(file: UploadFile, request: Request) -> bytes:
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)  # the guard counted the body already; this is the file part alone
    if len(data) > limit:
        raise InputError(f"the upload is larger than {limit / 2**20:.3g} MB")
    return data


async def _recognise_upload(request: Request, data: bytes, noise: float, seed: int = 0, picture: bool = False):
    """Decode and normalise in a preparing process, then through the model with whatever else arrived. With
    `picture`, the decoded picture too (for the archive and the number reader), decoded here as well."""
    noise = check_noise(noise)
    normalized = await request.app.state.preparers.normalise(data)
    img = await run_in_threadpool(decode_upload, data) if picture else None
    return img, await recognizer(request).recognise(normalized, noise, seed)


async def _read_number(request: Request, img) -> dict | None:
    """The picture read as a whole number (the number reader scores its candidates in one batch of its own)."""
    from ..numbers.reader import read_number_image
    from ..vision.preprocess import NoInkError

    engine = request.app.state.engine
    if not engine.conditional:
        return None
    try:
        reading = await run_in_threadpool(read_number_image, img, engine)
    except NoInkError:
        return None
    out = reading.to_json("upload")
    del out["file"]
    out["marked"] = reading.marked
    out["notes"] = reading.notes  # e.g. another line of writing left out
    return out


async def _keep(request: Request, img, result, number) -> int:
    a = result.analysis
    images = {"picture": reencoded(img, PICTURE_SIDE), "thumbnail": reencoded(img, THUMBNAIL_SIDE),
              "input": pixels_png(result.normalized.pixels), "reconstruction": pixels_png(a.reconstruction)}
    probs = [] if a.probabilities is None else a.probabilities
    return await run_in_threadpool(store(request).add, label=a.recognised, probabilities=probs,
                                   neg_elbo=a.neg_elbo, not_a_digit=result.not_a_digit, noise=result.noise,
                                   notes=result.normalized.notes, number=number, images=images)


async def _noise_test(request: Request, entry_id: int, sigma: float, seed: int) -> dict:
    """Seed 001's robustness test on an archived result: its model input with Gaussian noise, recognised again."""
    from ..vision.preprocess import Normalized

    sigma = check_noise(sigma)
    png = await run_in_threadpool(store(request).image, entry_id, "input")
    if png is None:
        raise HTTPException(404, f"no result {entry_id} in the archive")
    normalized = Normalized(png_pixels(png), False)
    result = await recognizer(request).recognise(normalized, sigma, seed)
    out = result.to_json()
    del out["notes"]
    out["images"] = {"input": data_url(pixels_png(result.noisy)),
                     "reconstruction": data_url(pixels_png(result.analysis.reconstruction))}
    return out


def _api_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["service"])
    async def healthz(request: Request) -> dict:
        """Liveness for a load balancer: no token needed."""
        engine = request.app.state.engine
        return {"status": "ok", "version": __version__, "model": engine.config.name or str(engine.path.name),
                "archive": request.app.state.archive.backend}

    @app.post("/api/recognize", tags=["recognition"], response_model=RecognizeAnswer, response_model_exclude_none=False,
              responses=ERRORS)
    async def api_recognize(request: Request, file: UploadFile = File(description="a picture: PNG, JPEG, BMP, GIF, "
                                                                                    "TIFF, WebP or PNM"),
                            noise: float = Form(0.0, description="Gaussian sigma on the model input, 0-1"),
                            seed: int = Form(0, ge=0, le=2**31 - 1, description="the noise's seed"),
                            number: bool = Form(False, description="also read the picture as a whole number"),
                            archive: bool = Form(False, description="keep the result in the archive"),
                            images: bool = Form(False, description="answer with the model input and "
                                                                   "reconstruction as PNG data URLs")):
        """Recognise the digit in a picture. Requests arriving together go through the model as one batch."""
        img, result = await _recognise_upload(request, await _read_upload(file, request), noise, seed,
                                              picture=number or archive)
        out = {**result.to_json(), "id": None, "number": None, "images": None}
        if number or archive:
            out["number"] = await _read_number(request, img)
        if archive:
            out["id"] = await _keep(request, img, result, out["number"])
        if images:
            out["images"] = {"input": data_url(pixels_png(result.noisy)),
                             "reconstruction": data_url(pixels_png(result.analysis.reconstruction))}
        return JSONResponse(out)  # built to the model above; returned as is, not validated again per request

    @app.get("/api/archive", tags=["archive"])
    async def api_archive(request: Request, page: int = Query(1, ge=1, le=10**6),
                          size: int = Query(20, ge=1, le=200)) -> dict:
        """Earlier results, newest first."""
        total = await run_in_threadpool(store(request).count)
        entries = await run_in_threadpool(store(request).page, (page - 1) * size, size)
        return {"total": total, "page": page, "pages": max(1, math.ceil(total / size)),
                "entries": [e.to_json() for e in entries]}

    @app.get("/api/archive/{entry_id}", tags=["archive"], responses=ERRORS)
    async def api_entry(request: Request, entry_id: int) -> dict:
        entry = await run_in_threadpool(store(request).get, entry_id)
        if entry is None:
            raise HTTPException(404, f"no result {entry_id} in the archive")
        return entry.to_json()

    @app.delete("/api/archive/{entry_id}", tags=["archive"], status_code=204, responses=ERRORS)
    async def api_delete(request: Request, entry_id: int) -> Response:
        if not await run_in_threadpool(store(request).delete, entry_id):
            raise HTTPException(404, f"no result {entry_id} in the archive")
        return Response(status_code=204)

    @app.get("/api/archive/{entry_id}/noise", tags=["archive"], responses=ERRORS)
    async def api_noise(request: Request, entry_id: int, sigma: float = Query(0.3),
                        seed: int = Query(0, ge=0, le=2**31 - 1)) -> dict:
        """An archived result's model input with Gaussian noise of this sigma, recognised again."""
        return await _noise_test(request, entry_id, sigma, seed)

    @app.post("/api/generate", tags=["generation"], responses={200: {"content": {"image/png": {}}}, **ERRORS},
              response_class=Response)
    async def api_generate(request: Request, body: GenerateRequest) -> Response:
        """New digits of a label, drawn from the latent codes of real digits of that label: a PNG grid."""
        engine = request.app.state.engine
        digits = await run_in_threadpool(engine.generate, body.label if engine.conditional else None, body.n,
                                         body.seed)
        return Response(png_bytes(grid_image(digits)), media_type="image/png")

    @app.get("/images/{entry_id}/{kind}.png", tags=["archive"], response_class=Response, responses=ERRORS)
    async def image(request: Request, entry_id: int, kind: str) -> Response:
        if kind not in IMAGE_KINDS:
            raise HTTPException(404, f"no image called {kind}")
        data = await run_in_threadpool(store(request).image, entry_id, kind)
        if data is None:
            raise HTTPException(404, f"no result {entry_id} in the archive")
        return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def _page_routes(app: FastAPI, templates: Jinja2Templates) -> None:
    def page(request: Request, name: str, status: int = 200, **context):
        return templates.TemplateResponse(request, name, context, status)

    @app.get("/icon.png", include_in_schema=False)
    async def icon() -> Response:
        from ..resources import resource_path

        return Response(resource_path("icons", "desktop-cvae.png").read_bytes(), media_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request):
        recent = await run_in_threadpool(store(request).page, 0, 6)
        return page(request, "index.html", recent=recent, max_mb=request.app.state.settings.max_upload_bytes / 2**20)

    @app.post("/recognize", include_in_schema=False)
    async def recognize_page(request: Request, file: UploadFile = File(...), noise: float = Form(0.0)):
        try:
            img, result = await _recognise_upload(request, await _read_upload(file, request), noise, picture=True)
        except InputError as e:
            recent = await run_in_threadpool(store(request).page, 0, 6)
            return page(request, "index.html", 415 if "supported format" in str(e) else 400, error=str(e),
                        recent=recent, max_mb=request.app.state.settings.max_upload_bytes / 2**20)
        number = await _read_number(request, img)
        entry_id = await _keep(request, img, result, number)
        return RedirectResponse(f"/results/{entry_id}", status_code=303)

    @app.get("/results/{entry_id}", response_class=HTMLResponse, include_in_schema=False)
    async def result_page(request: Request, entry_id: int, sigma: float = Query(0.3, ge=0.0, le=1.0),
                          seed: int = Query(0, ge=0, le=2**31 - 1)):
        entry = await run_in_threadpool(store(request).get, entry_id)
        if entry is None:
            raise HTTPException(404, f"no result {entry_id} in the archive")
        test = await _noise_test(request, entry_id, sigma, seed)
        runner_up = None if entry.label is None else runner_up_if_unsure(np.asarray(entry.probabilities))
        number_cautions = cautions((entry.number or {}).get("notes") or [])
        return page(request, "result.html", entry=entry, test=test, sigma=sigma, seed=seed, runner_up=runner_up,
                    number_cautions=number_cautions)

    @app.get("/archive", response_class=HTMLResponse, include_in_schema=False)
    async def archive_page(request: Request, page_no: int = Query(1, ge=1, le=10**6, alias="page")):
        size = request.app.state.settings.page_size
        total = await run_in_threadpool(store(request).count)
        pages = max(1, math.ceil(total / size))
        entries = await run_in_threadpool(store(request).page, (page_no - 1) * size, size)
        return page(request, "archive.html", entries=entries, page=page_no, pages=pages, total=total)

    @app.post("/archive/{entry_id}/delete", include_in_schema=False)
    async def delete_page(request: Request, entry_id: int, page_no: int = Form(1, alias="page")):
        await run_in_threadpool(store(request).delete, entry_id)  # gone already is fine: the list shows the truth
        return RedirectResponse(f"/archive?page={page_no}", status_code=303)
