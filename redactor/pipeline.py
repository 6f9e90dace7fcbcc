"""The one pipeline every front end runs: detect, plan, obfuscate, report.

    Redactor(...)                 detectors are built on first need, then reused (thread-safe)
      .resolve_hide(names)        what the user typed -> attribute ids; fails closed
      .analyze(image, options)    detectors -> regions -> which of them are hidden
      .redact(image, options)     + obfuscation -> Result(pixels, changed, analysis, report)
      .redact_many(images, options) the same for many images, one call per batching detector
      .decode / .encode             bytes <-> image, each timed as a report stage
      .redact_bytes / .analyze_bytes / .redact_file  + decoding, encoding, atomic writing

All of them are thin wrappers over one private core: _plan -> _analyse -> _obfuscate (with
_second_look) -> _report, the one place a Report is assembled. The daemon calls the same
methods. What the pipeline needs to know of each detector is its spec (detectors/base.py: SPECS).

No printing, no exiting: errors are RedactorError subclasses. A file that cannot be read gives a
Report with `error` set, so a batch goes on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from redactor import attributes, fusion, obfuscate
from redactor.attributes import display_name
from redactor.attributes import names_for as _names_for
from redactor.attributes import table_order as _attribute_order
from redactor.detectors import BY_NAME, SPECS, Context, DetectorSettings, DetectorSpec, Region
from redactor.errors import (
    ImageError,
    ModelError,
    RedactorError,
    UncoveredAttributeError,
    UnvalidatedModelError,
    UsageError,
)
from redactor.imageio import ImageLimits, LoadedImage, decode, encode, read_limited, write_atomic
from redactor.model_meta import VALIDITY_BAR

# Report stages, in pipeline order: the detectors' in the order of their specs.
STAGES = ("decode", *(spec.name for spec in SPECS), "obfuscate", "encode")
# Looks at the redacted pixels for faces still found (each hides what it finds once more).
SECOND_LOOKS = 3
SECOND_LOOK_MARGIN = 0.5  # of the face found again's shorter side, on every side
SECOND_LOOK_STRENGTH = 4.0  # blur sigma: twice the face's size
# Detectors every Redactor has; the others ("person", "model") are asked for by the
# constructor's arguments.
BUILT_IN = tuple(spec.name for spec in SPECS if spec.default)


@dataclass(frozen=True)
class RedactOptions:
    # Names as the user typed them; None -> attributes.DEFAULT_HIDE.
    hide: tuple[str, ...] | None = None
    mode: str | None = None  # "blur" | "pixelate" | "fill"; None -> default per region kind
    # Grow each region by this fraction of its shorter side; None -> per kind (faces 0.25,
    # text 0.15).
    margin: float | None = None
    fill_color: tuple[int, int, int] = (0, 0, 0)
    keep_metadata: bool = False
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per detector name
    report_text: bool = False  # put recognised text in the report (never by default)
    # Hide attributes only the model finds even when its real-image validity is unmeasured or
    # under VALIDITY_BAR (otherwise refused before any work: UnvalidatedModelError).
    trust_model: bool = False


@dataclass
class Report:
    """What happened to one image. `to_json()` leaves recognised text out unless asked."""

    input: str | None = None
    output: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    hide: tuple[str, ...] = ()
    regions: list[Region] = field(default_factory=list)  # every region found
    hidden: list[Region] = field(default_factory=list)  # the ones that were (or would be) hidden
    privacy_score: float | None = None
    attribute_probabilities: dict[str, float] | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    error: str | None = None
    error_code: str | None = None
    # Frames, pages or pictures after the first that were not written (multi-page TIFF,
    # animated GIF/WebP/PNG, multi-picture JPEG): the output holds the first one only.
    frames_dropped: int = 0
    # Detector fusion (redactor/fusion.py): the model's own outputs and who decided what.
    fusion: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def counts(self) -> dict[str, int]:
        """Hidden regions per attribute, named as users type them ("face", "name", ...)."""
        counts: dict[str, int] = {}
        for region in self.hidden:
            name = display_name(region.attributes)
            counts[name] = counts.get(name, 0) + 1
        return counts

    def to_json(self, with_text: bool = False) -> dict[str, Any]:
        hidden_ids = {id(r) for r in self.hidden}
        entry: dict[str, Any] = {
            "input": self.input,
            "output": self.output,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "hide": sorted(self.hide),
            "regions": [
                {**r.to_report(with_text=with_text), "hidden": id(r) in hidden_ids}
                for r in self.regions
            ],
            "counts": self.counts,
            "frames_dropped": self.frames_dropped,
            "timings": {k: round(v, 5) for k, v in self.timings.items()},
        }
        if self.privacy_score is not None:
            entry["privacy_score"] = round(float(self.privacy_score), 4)
        if self.attribute_probabilities is not None:
            entry["attribute_probabilities"] = {
                k: round(float(v), 4) for k, v in self.attribute_probabilities.items()
            }
        entry.update(fusion.report_fields(self.fusion))
        if self.error is not None:
            entry["error"] = self.error
            entry["error_code"] = self.error_code
        return entry


@dataclass
class Analysis:
    regions: list[Region]
    hidden: list[Region]
    findings: dict
    timings: dict[str, float]


@dataclass
class Result:
    pixels: np.ndarray  # H x W x 3 uint8 RGB, redacted
    analysis: Analysis
    report: Report
    changed: np.ndarray | None = None  # H x W bool: the pixels obfuscation replaced

    def encode(self, image: LoadedImage, *, keep_metadata: bool = False) -> bytes:
        image = without_invisible_colour(image)
        return encode(image, self.pixels, keep_metadata=keep_metadata, changed=self.changed)


@dataclass(frozen=True)
class _Plan:
    hide: frozenset[str]
    detectors: tuple[Any, ...]  # built detectors to run, in STAGES order
    # name -> built detector whose `fill` runs before a detector that reads it (OCR before
    # the private-text detector), timed under its own name.
    upstream: Mapping[str, Any] = field(default_factory=dict)


class Redactor:
    """Builds detectors once and runs the pipeline. Safe to share between threads."""

    def __init__(
        self,
        *,
        model: str | Path | None = None,
        person: bool = False,
        limits: ImageLimits = ImageLimits(),
        threads: int | None = None,
    ) -> None:
        """`model`: a PrivObfNet checkpoint ("default": the one that ships), which adds the
        "model" detector; `person`: add the "person" detector (the `human` extra)."""
        from redactor.default_model import resolve_model

        self.model_path = resolve_model(model)
        if self.model_path is not None and not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        self.person = person
        self.limits = limits
        self.threads = threads  # ONNX Runtime threads per detector; None: the detector's choice
        asked = {"person"} if person else set()
        if model is not None:
            asked.add("model")
        # A built-in detector whose module is not in this install is simply not there (its
        # attributes are then uncovered, so asking for them fails closed).
        self.configured: tuple[str, ...] = tuple(
            spec.name for spec in SPECS if spec.name in asked or (spec.default and spec.installed())
        )
        # Whether a configured detector takes a batch of images in one call (redact_many).
        self.batching = any(BY_NAME[name].batches for name in self.configured)
        self._built: dict[tuple[str, float | None], Any] = {}
        self._build_lock = threading.RLock()
        self._covered: frozenset[str] | None = None

    # -- what can be hidden ------------------------------------------------------------------

    def detector_attributes(self, name: str) -> frozenset[str]:
        """Attribute ids detector `name` finds; the model's come from its checkpoint."""
        if BY_NAME[name].loaded_attributes:
            return frozenset(self._detector(name, None).attributes)
        return frozenset(_detector_class(name).attributes)

    @property
    def covered(self) -> frozenset[str]:
        """Attribute ids the configured detectors can find."""
        if self._covered is None:
            ids: set[str] = set()
            for name in self.configured:
                ids |= self.detector_attributes(name)
            self._covered = frozenset(ids)
        return self._covered

    def coverage(self) -> dict[str, list[str]]:
        """Attribute id -> names of the configured detectors that find it."""
        table: dict[str, list[str]] = {a.id: [] for a in attributes.ATTRIBUTES}
        for name in self.configured:
            for attribute_id in self.detector_attributes(name):
                table.setdefault(attribute_id, []).append(name)
        return table

    def resolve_hide(self, hide: Sequence[str] | None) -> frozenset[str]:
        """Names -> attribute ids. None: the default (faces and every kind of private text the
        detectors know). UsageError for unknown names; UncoveredAttributeError when something
        asked for has no configured detector (never redact less than asked)."""
        covered = self.covered
        if hide is None:
            return attributes.resolve(attributes.DEFAULT_HIDE) & covered
        ids = attributes.resolve(hide, all_covered=covered)
        if not ids:
            raise UsageError("nothing to hide: give at least one attribute, e.g. --hide face,name")
        missing = ids - covered
        if missing:
            raise UncoveredAttributeError(self._uncovered_message(missing))
        return ids

    def _uncovered_message(self, missing: frozenset[str]) -> str:
        needs: dict[str, list[str]] = {}
        for attribute_id in sorted(missing, key=_attribute_order):
            needs.setdefault(self._hint(attribute_id), []).append(attribute_id)
        parts = [f"cannot hide {', '.join(_names_for(ids))}: {need}" for need, ids in needs.items()]
        return "; ".join(parts)

    def _hint(self, attribute_id: str) -> str:
        """The first spec, in stage order, that speaks for `attribute_id`: one not configured
        that would find it, or one loaded that was expected to and does not."""
        for spec in SPECS:
            if spec.name not in self.configured:
                if attribute_id in spec.hint_for():
                    return spec.hint
            elif spec.hint_when_loaded is not None:
                return spec.hint_when_loaded
        return DetectorSpec.hint

    def _loaded_attribute_detectors(self) -> list[str]:
        return [name for name in self.configured if BY_NAME[name].loaded_attributes]

    # -- building ------------------------------------------------------------------------------

    def check(self, options: RedactOptions) -> frozenset[str]:
        """Validate `options` (mode, margin, thresholds, hide) without building anything heavy;
        -> the attribute ids that will be hidden."""
        self._check_options(options)
        hide = self.resolve_hide(options.hide)
        self._check_validity(hide, options.trust_model)
        return hide

    def model_only(self, hide: frozenset[str]) -> frozenset[str]:
        """The attributes of `hide` that the model finds and no other configured detector."""
        models = self._loaded_attribute_detectors()
        found: set[str] = set()
        others: set[str] = set()
        for name in self.configured:
            (found if name in models else others).update(self.detector_attributes(name))
        return frozenset(hide & found) - others

    def _check_validity(self, hide: frozenset[str], trust_model: bool) -> None:
        """Refuse model-only attributes whose real-image AUC is unmeasured or under the bar."""
        models = self._loaded_attribute_detectors()
        if trust_model or not models:
            return
        weak = []
        metas = [self._detector(name, None).meta for name in models]
        for attribute_id in sorted(self.model_only(hide), key=_attribute_order):
            aucs = [meta.validated_auc(attribute_id) for meta in metas]
            auc = max((a for a in aucs if a is not None), default=None)
            if auc is None:
                weak.append(f"{attribute_id} (real-image AUC never measured)")
            elif auc < VALIDITY_BAR:
                weak.append(f"{attribute_id} (real-image AUC {auc:.3f} < {VALIDITY_BAR})")
        if weak:
            raise UnvalidatedModelError(
                f"refusing to hide {', '.join(weak)}: only the model finds it and it is not "
                f"validated (bar: AUC {VALIDITY_BAR}); record its AUC with `redact evaluate "
                "--record` on real images, or pass --trust-model to use the model anyway"
            )

    def warm_up(self, options: RedactOptions = RedactOptions()) -> None:
        """Build what `options` needs now and run it once on a small image (daemon start-up)."""
        plan = self._plan(options)
        image = np.full((64, 64, 3), 127, np.uint8)
        self._detect(image, plan, Context(image))

    def _detector(self, name: str, threshold: float | None) -> Any:
        key = (name, threshold)
        built = self._built.get(key)
        if built is not None:
            return built
        with self._build_lock:
            built = self._built.get(key)
            if built is None:
                built = self._build(name, threshold)
                self._built[key] = built
            return built

    def _build(self, name: str, threshold: float | None) -> Any:
        spec = BY_NAME[name]
        _detector_class(name)  # a clear ModelError when its module is missing
        # A detector that reads another reads the one shared instance of it.
        upstream = {other: self._detector(other, None) for other in spec.reads}
        settings = DetectorSettings(
            threshold=threshold, threads=self.threads, model=self.model_path, upstream=upstream
        )
        return spec.build(settings)

    def _check_options(self, options: RedactOptions) -> None:
        obfuscate.check_mode(options.mode)
        if options.margin is not None and not 0.0 <= options.margin <= 2.0:
            raise UsageError(f"margin must be between 0 and 2, got {options.margin}")
        for name, value in options.thresholds.items():
            if name not in BY_NAME:
                raise UsageError(
                    f"unknown detector {name!r} in thresholds; valid: {', '.join(BY_NAME)}"
                )
            if not 0.0 <= float(value) <= 1.0:
                raise UsageError(f"threshold for {name} must be between 0 and 1, got {value}")

    def _plan(self, options: RedactOptions) -> _Plan:
        hide = self.check(options)
        run: list[Any] = []
        upstream: dict[str, Any] = {}
        for name in self.configured:  # in stage order
            spec = BY_NAME[name]
            # The model runs whenever it is loaded: it gives the report's privacy score.
            if spec.always_runs or self.detector_attributes(name) & hide:
                run.append(self._detector(name, options.thresholds.get(name)))
                upstream.update({other: self._detector(other, None) for other in spec.reads})
        return _Plan(hide=hide, detectors=tuple(run), upstream=upstream)

    # -- running -------------------------------------------------------------------------------

    def _detect(self, pixels: np.ndarray, plan: _Plan, ctx: Context) -> list[Region]:
        regions: list[Region] = []
        for detector in plan.detectors:
            spec = BY_NAME[detector.name]
            for name in spec.reads:  # e.g. OCR once, timed as "ocr", before "pii"
                source = plan.upstream.get(name)
                fill = BY_NAME[name].fill
                if source is not None and fill is not None:
                    getattr(source, fill)(pixels, ctx)
            if spec.times_itself:
                found = detector.detect(pixels, ctx)
            else:
                found = ctx.timed(detector.name, _bind(detector.detect, pixels, ctx))
            regions.extend(found)
        return regions

    def _analyse(self, image: LoadedImage, plan: _Plan, decode_s: float | None = None) -> Analysis:
        """Detect on what a viewer shows: the image over white and, when it is meaningfully
        transparent, over black too (white text on a transparent sticker is invisible over
        white); a region found in either view is hidden. The one analysis every public form
        runs (redact_many: the same steps, with one batched call per batching detector)."""
        ctx = _context(image, decode_s)
        regions = self._detect(image.pixels, plan, ctx)
        self._detect_dark_view(image, plan, ctx, regions)
        return self._analysis(regions, plan, ctx)

    def _detect_dark_view(
        self, image: LoadedImage, plan: _Plan, ctx: Context, regions: list[Region]
    ) -> None:
        """Adds to `regions` what only the view over black reveals; its time is added to the
        stages of `ctx`. Detectors whose spec says so (the model: one privacy score) run on the
        light view only."""
        dark = dark_view(image)
        if dark is None:
            return
        detectors = tuple(d for d in plan.detectors if BY_NAME[d.name].dark_view)
        if not detectors:
            return
        dark_ctx = Context(dark)
        found = self._detect(dark, replace(plan, detectors=detectors), dark_ctx)
        regions.extend(r for r in found if not any(_same_region(r, seen) for seen in regions))
        for stage, seconds in dark_ctx.timings.items():
            ctx.timings[stage] = ctx.timings.get(stage, 0.0) + seconds

    def _analysis(self, regions: list[Region], plan: _Plan, ctx: Context) -> Analysis:
        fusion.fuse(ctx, regions)  # detector findings into the model's probabilities and score
        hidden = [r for r in regions if plan.hide.intersection(r.attributes)]
        return Analysis(regions=regions, hidden=hidden, findings=ctx.findings, timings=ctx.timings)

    def analyze(
        self, image: LoadedImage, options: RedactOptions, *, decode_s: float | None = None
    ) -> Analysis:
        """`decode_s`: seconds the caller spent decoding `image` (the report's "decode")."""
        return self._analyse(image, self._plan(options), decode_s)

    def redact(
        self, image: LoadedImage, options: RedactOptions, *, decode_s: float | None = None
    ) -> Result:
        plan = self._plan(options)
        return self._obfuscate(image, self._analyse(image, plan, decode_s), plan, options)

    def redact_many(
        self,
        images: Sequence[LoadedImage],
        options: RedactOptions,
        *,
        decode_s: Sequence[float] | None = None,
    ) -> list[Result]:
        """Detectors with `detect_batch(images, ctxs)` (the model) get one call for all images;
        their time is shared out evenly in the reports."""
        plan = self._plan(options)
        seconds = list(decode_s) if decode_s is not None else [None] * len(images)
        ctxs = [_context(image, s) for image, s in zip(images, seconds)]
        found: list[list[Region]] = [[] for _ in images]
        for detector in plan.detectors:
            batch = getattr(detector, "detect_batch", None)
            if batch is not None and len(images) > 1:
                start = time.perf_counter()
                per_image = batch([image.pixels for image in images], ctxs)
                share = (time.perf_counter() - start) / len(images)
                for ctx, regions, found_here in zip(ctxs, per_image, found):
                    ctx.timings[detector.name] = ctx.timings.get(detector.name, 0.0) + share
                    found_here.extend(regions)
            else:
                single = replace(plan, detectors=(detector,))
                for image, ctx, found_here in zip(images, ctxs, found):
                    found_here.extend(self._detect(image.pixels, single, ctx))
        for image, ctx, found_here in zip(images, ctxs, found):
            self._detect_dark_view(image, plan, ctx, found_here)
        return [
            self._obfuscate(image, self._analysis(regions, plan, ctx), plan, options)
            for image, regions, ctx in zip(images, found, ctxs)
        ]

    def _obfuscate(
        self, image: LoadedImage, analysis: Analysis, plan: _Plan, options: RedactOptions
    ) -> Result:
        start = time.perf_counter()
        pixels, changed = obfuscate.apply(
            image.pixels,
            analysis.hidden,
            mode=options.mode,
            margin=options.margin,
            fill_color=options.fill_color,
        )
        pixels = self._second_look(pixels, changed, analysis, plan, options)
        analysis.timings["obfuscate"] = time.perf_counter() - start
        report = self._report(image, analysis, plan)
        return Result(pixels=pixels, analysis=analysis, report=report, changed=changed)

    def _second_look(
        self,
        pixels: np.ndarray,
        changed: np.ndarray,
        analysis: Analysis,
        plan: _Plan,
        options: RedactOptions,
    ) -> np.ndarray:
        """Hidden faces the face detector still finds in the redacted pixels (a small blurred
        head can still read as a face) are hidden once more, up to SECOND_LOOKS times; `changed`
        grows in place. The report keeps the faces as first found."""
        if options.mode == "fill":
            return pixels
        detector = next((d for d in plan.detectors if BY_NAME[d.name].recheck), None)
        hidden = [r.box for r in analysis.hidden if detector and r.detector == detector.name]
        for _ in range(SECOND_LOOKS if detector is not None and hidden else 0):
            again = detector.recheck(pixels, hidden)
            if not again:
                break
            # Blurring a blurred head the same way leaves the same blob: hide it flatter,
            # with more of its surroundings.
            margin = SECOND_LOOK_MARGIN if options.margin is None else options.margin
            for region in again:
                area = obfuscate.area_of(region, pixels.shape, margin)
                if area is None:
                    continue
                if options.mode == "pixelate":
                    pixels = obfuscate.pixelate(pixels, area, blocks=2)
                else:
                    pixels = obfuscate.blur(pixels, area, strength=SECOND_LOOK_STRENGTH)
                x0, y0, x1, y1 = area.box
                changed[y0:y1, x0:x1] |= area.mask.astype(bool)
            hidden += [r.box for r in again]
        return pixels

    def _report(self, image: LoadedImage | None, analysis: Analysis | None, plan: _Plan) -> Report:
        report = Report(hide=tuple(sorted(plan.hide, key=_attribute_order)))
        if image is not None:
            report.width, report.height, report.format = image.width, image.height, image.format
            report.frames_dropped = image.frames_dropped
        if analysis is not None:
            report.regions = analysis.regions
            report.hidden = analysis.hidden
            report.timings = dict(analysis.timings)
            report.privacy_score = analysis.findings.get("privacy_score")
            report.attribute_probabilities = analysis.findings.get("attribute_probabilities")
            report.fusion = analysis.findings.get("fusion")
        return report

    # -- bytes and files -------------------------------------------------------------------

    def decode(self, data: bytes, limits: ImageLimits | None = None) -> tuple[LoadedImage, float]:
        """-> (image, seconds). `limits`: None -> this Redactor's. Raises ImageError for
        unreadable input, also when the decoder itself fails in an unforeseen way."""
        start = time.perf_counter()
        try:
            image = decode(data, self.limits if limits is None else limits)
        except RedactorError:
            raise
        except Exception as error:  # noqa: BLE001 - a decoder's own failure is still bad input
            raise ImageError(f"cannot decode this image ({type(error).__name__})") from None
        return image, time.perf_counter() - start

    def encode(self, image: LoadedImage, result: Result, options: RedactOptions) -> bytes:
        """The redacted image in its input's format; its time is the report's "encode"."""
        start = time.perf_counter()
        encoded = result.encode(image, keep_metadata=options.keep_metadata)
        result.report.timings["encode"] = time.perf_counter() - start
        return encoded

    def redact_bytes(
        self, data: bytes, options: RedactOptions, *, limits: ImageLimits | None = None
    ) -> tuple[bytes, Report]:
        """In memory only. Raises ImageError for unreadable input."""
        image, decode_s = self.decode(data, limits)
        result = self.redact(image, options, decode_s=decode_s)
        return self.encode(image, result, options), result.report

    def analyze_bytes(
        self, data: bytes, options: RedactOptions, *, limits: ImageLimits | None = None
    ) -> Report:
        """The report of what `redact_bytes` would hide; nothing is obfuscated."""
        image, decode_s = self.decode(data, limits)
        plan = self._plan(options)
        return self._report(image, self._analyse(image, plan, decode_s), plan)

    def redact_file(
        self,
        src: Path,
        dst: Path | None,
        options: RedactOptions,
        *,
        preview: Path | None = None,
        mode: int = 0o666,
        preview_mode: int = 0o600,
    ) -> Report:
        """Redact `src` into `dst` (written atomically); `dst` None: a dry run, nothing written
        but the optional `preview` overlay. `mode`, `preview_mode`: permission bits the files
        are created with (the umask applies). An unreadable input or unwritable output gives a
        Report with `error` set; usage errors raise."""
        src = Path(src)
        plan = self._plan(options)  # usage errors raise before any file is touched
        try:
            start = time.perf_counter()
            data = read_limited(src, self.limits)
            read_s = time.perf_counter() - start
            image, decode_s = self.decode(data)
            del data
            analysis = self._analyse(image, plan, read_s + decode_s)
            if dst is None:
                report = self._report(image, analysis, plan)
            else:
                result = self._obfuscate(image, analysis, plan, options)
                encoded = self.encode(image, result, options)
                report = result.report
                try:
                    write_atomic(Path(dst), encoded, mode=mode)
                except OSError as error:
                    raise ImageError(f"could not write {dst}: {error.strerror or error}") from None
            if preview is not None:
                try:
                    self._write_preview(image, analysis, preview, preview_mode)
                except OSError as error:
                    if dst is None:
                        raise
                    raise ImageError(f"could not write {dst}: {error.strerror or error}") from None
        except ImageError as error:
            report = self._report(None, None, plan)
            report.error = str(error)
            report.error_code = error.code
        return _with_paths(report, src, dst)

    def _write_preview(
        self, image: LoadedImage, analysis: Analysis, path: Path, mode: int = 0o600
    ) -> None:
        from redactor.preview import render_preview

        overlay = render_preview(image.pixels, analysis.regions, analysis.hidden)
        write_atomic(Path(path), overlay, mode=mode)


# Transparency that changes what a viewer shows: this many pixels at most 7/8 opaque.
_TRANSPARENT_BELOW = 224
_TRANSPARENT_SHARE = 0.001


def dark_view(image: LoadedImage) -> np.ndarray | None:
    """H x W x 3 uint8: the image as a viewer on a black background shows it; None when it
    has no transparency worth a second look (then both views are the same picture)."""
    if image.alpha is None or image.straight is None:
        return None
    alpha = image.alpha
    if np.count_nonzero(alpha < _TRANSPARENT_BELOW) < max(16, _TRANSPARENT_SHARE * alpha.size):
        return None
    a = alpha.astype(np.uint16)[:, :, None]
    return ((image.straight.astype(np.uint16) * a + 127) // 255).astype(np.uint8)


def without_invisible_colour(image: LoadedImage) -> LoadedImage:
    """The image with the colour under fully transparent pixels set to black. No viewer shows
    that colour, but it is in the file: an "erased" layer can still hold text or a face that
    anyone can bring back by dropping the alpha channel."""
    if image.alpha is None or image.straight is None:
        return image
    invisible = image.alpha == 0
    if not invisible.any():
        return image
    straight = image.straight.copy()
    straight[invisible] = 0
    return replace(image, straight=straight)


def _same_region(a: Region, b: Region) -> bool:
    """The same finding in both views: same attributes, boxes overlapping by 70% or more."""
    if a.attributes != b.attributes:
        return False
    ix = max(0, min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]))
    iy = max(0, min(a.box[3], b.box[3]) - max(a.box[1], b.box[1]))
    union = (
        (a.box[2] - a.box[0]) * (a.box[3] - a.box[1])
        + (b.box[2] - b.box[0]) * (b.box[3] - b.box[1])
        - ix * iy
    )
    return union > 0 and ix * iy / union >= 0.7


def _detector_class(name: str) -> type:
    try:
        return BY_NAME[name].load()
    except ModuleNotFoundError as error:
        raise ModelError(
            f"the {name} detector is not available in this install ({error}); "
            "reinstall the project with its extras"
        ) from None


def _context(image: LoadedImage, decode_s: float | None) -> Context:
    """The image's Context; the decode time, when known, is the report's first stage."""
    ctx = Context(image.pixels)
    if decode_s is not None:
        ctx.timings["decode"] = decode_s
    return ctx


def _with_paths(report: Report, src: Path, dst: Path | None) -> Report:
    report.input = str(src)
    report.output = str(dst) if dst is not None else None
    return report


def _bind(function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: function(*args)


__all__ = [
    "Analysis",
    "Redactor",
    "RedactOptions",
    "Report",
    "Result",
    "RedactorError",
    "display_name",
]
