"""One synthetic image: a requested VISPR label set -> a composed scene, the labels it really
shows, and a ground-truth mask per label.

The planner turns the requested attributes into elements (people with the right framing and
cues, documents carrying the right text, objects), composes them back to front on a background
with harmless clutter, and then reads the evidence back from what stayed visible (see
canvas.py). The labels written are that evidence, so they may differ slightly from the request
where the visual grammar cannot separate two attributes (a visible coloured face always shows
age and race as well); redactor/training/synth/README.md lists the grammar.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageFilter

from redactor.attributes import BY_ID, VISPR_IDS
from redactor.training.synth import backgrounds, props, sources
from redactor.training.synth import documents as docs
from redactor.training.synth.canvas import Canvas, Layer
from redactor.training.synth.figures import (
    CLOTH,
    HAIR_COLORS,
    OUTFIT_CUES,
    SKIN_TONES,
    FigureSpec,
    crowd,
    draw_figure,
    hand_holding,
    photo_figure,
    random_spec,
)
from redactor.training.synth.persona import Persona, make_persona
from redactor.training.synth.typeset import Page, TextItem

SAFE = "a0_safe"
DESCRIPTORS = frozenset(
    {
        "a1_age_approx",
        "a2_weight_approx",
        "a3_height_approx",
        "a4_gender",
        "a5_eye_color",
        "a6_hair_color",
        "a9_face_complete",
        "a10_face_partial",
        "a16_race",
        "a17_color",
    }
)
CUE_ATTRS = frozenset(
    {
        "a11_tattoo",
        "a12_semi_nudity",
        "a13_full_nudity",
        "a18_ethnic_clothing",
        "a39_disability_physical",
        "a41_injury",
        "a46_occupation",
        "a57_culture",
        "a59_sports",
    }
)
GROUPS = {
    "a64_rel_personal": 2,
    "a65_rel_social": 3,
    "a66_rel_professional": 2,
    "a67_rel_competitors": 2,
    "a69_rel_views": 3,
}  # members drawn (and needed in view)
PROP_CUES = {
    "a73_landmark",
    "a56_sexual_orientation",
    "a55_religion",
    "a60_occassion_personal",
    "a48_occassion_work",
    "a58_hobbies",
    "a99_legal_involvement",
    "a7_fingerprint",
}
ID_DOCS = ("a29_ausweis", "a31_passport", "a32_drivers_license", "a33_student_id")
PLATES = ("a103_license_plate_complete", "a104_license_plate_partial")
FACE_MIN = 0.022  # faces smaller than this fraction of the image side show nothing
CLOSEUP = 0.11  # faces at least this big show the eyes' colour
TEXT_VISIBLE = 0.7  # share of a text's box that must stay visible to count as readable
OBJECT_VISIBLE = 0.45


@dataclass
class SceneResult:
    image: Image.Image  # RGB, size x size
    labels: list[str]  # evidenced VISPR ids, in VISPR order
    masks: dict[str, np.ndarray]  # label -> bool (size, size)
    requested: list[str]
    items: list[dict] = field(default_factory=list)  # text items: kind, attributes, box


@dataclass
class Placed:
    key: str
    evaluate: Callable[[Canvas], dict[str, np.ndarray]]
    items: list[TextItem] = field(default_factory=list)
    offset: tuple[int, int] = (0, 0)


def _union(into: dict[str, np.ndarray], found: dict[str, np.ndarray]) -> None:
    for attr, mask in found.items():
        if attr in into:
            into[attr] = into[attr] | mask
        else:
            into[attr] = mask


@dataclass(frozen=True)
class FigureView:
    """How a placed person was drawn, which decides what its visible parts are evidence of."""

    front: bool
    grayscale: bool
    face_h: float  # face height in pixels
    face_complete_ok: bool = True  # False: a photo whose face is cut shows only part of one
    seated: bool = False


def figure_evidence(canvas: Canvas, key: str, size: int, view: FigureView) -> dict[str, np.ndarray]:
    """A person's descriptor and cue evidence from what stayed visible; `_body` for groups."""
    vis = canvas.visible_fraction
    out: dict[str, np.ndarray] = {}
    face_frac = vis(key, "face")
    face_ok = view.front and view.face_h >= FACE_MIN * size
    complete = face_ok and view.face_complete_ok and face_frac >= 0.9
    partial = face_ok and not complete and face_frac >= 0.25
    face = canvas.visible(key, "face")
    head = canvas.visible(key, "head")
    body = canvas.visible(key, "body")
    if complete:
        out["a9_face_complete"] = face.copy()
    if partial:
        out["a10_face_partial"] = face.copy()
    if (complete or partial) and vis(key, "eyes") >= 0.8 and view.face_h >= CLOSEUP * size:
        out["a5_eye_color"] = face.copy()
    hair = canvas.visible(key, "hair")
    full_hair = canvas.placed[key].full_area.get("hair", 0)
    if hair.sum() >= max(15, 0.3 * full_hair) and view.face_h >= FACE_MIN * size:
        out["a6_hair_color"] = hair.copy()
    skin = canvas.visible(key, "skin")
    if not view.grayscale and skin.sum() >= 20:
        out["a17_color"] = skin.copy()
    if complete or partial:
        out["a1_age_approx"] = head.copy()
        if not view.grayscale:
            out["a16_race"] = head.copy()
    if vis(key, "head") >= 0.5 and vis(key, "torso") >= 0.25 and view.face_h >= FACE_MIN * size:
        out["a4_gender"] = body.copy()
    if vis(key, "torso") >= 0.9 and vis(key, "legs") >= 0.4:
        out["a2_weight_approx"] = body.copy()
    if (
        not view.seated
        and vis(key, "body") >= 0.9
        and vis(key, "feet") >= 0.9
        and vis(key, "head") >= 0.9
    ):
        out["a3_height_approx"] = body.copy()
    for part in canvas.placed[key].full_area:
        if part.startswith("cue:") and vis(key, part) >= 0.4:
            mask = canvas.visible(key, part)
            if mask.sum() >= 12:
                out[part[4:]] = mask.copy()
    out["_body"] = body.copy()
    return out


class Scene:
    def __init__(self, size: int, rng: random.Random, background: Image.Image, ground: int):
        self.size = size
        self.rng = rng
        self.canvas = Canvas(background)
        self.ground = ground
        self.placed: list[Placed] = []
        self.protected: list[tuple[float, float, float, float]] = []

    # --- placement ------------------------------------------------------------------------
    def overlap(self, box: tuple[float, float, float, float]) -> float:
        total = 0.0
        for p in self.protected:
            w = min(box[2], p[2]) - max(box[0], p[0])
            h = min(box[3], p[3]) - max(box[1], p[1])
            if w > 0 and h > 0:
                total += w * h
        return total

    def free_spot(
        self,
        w: int,
        h: int,
        region: tuple[float, float, float, float] | None = None,
        tries: int = 24,
    ) -> tuple[int, int]:
        s = self.size
        x0, y0, x1, y1 = region or (0, 0, s, s)
        best, best_cost = (0, 0), math.inf
        for _ in range(tries):
            x = (
                self.rng.uniform(x0, max(x0, x1 - w))
                if w < x1 - x0
                else self.rng.uniform(x1 - w, x0)
            )
            y = (
                self.rng.uniform(y0, max(y0, y1 - h))
                if h < y1 - y0
                else self.rng.uniform(y1 - h, y0)
            )
            cost = self.overlap((x, y, x + w, y + h))
            if cost < best_cost:
                best, best_cost = (int(x), int(y)), cost
                if cost == 0:
                    break
        return best

    def add(
        self,
        layer: Layer,
        xy: tuple[int, int],
        evaluate: Callable,
        protect: bool = True,
        items: list[TextItem] | None = None,
    ) -> str:
        key = self.canvas.paste(layer, xy)
        if protect:
            w, h = layer.size
            self.protected.append((xy[0], xy[1], xy[0] + w, xy[1] + h))
        self.placed.append(Placed(key, evaluate, items or [], xy))
        return key

    # --- evidence readers -------------------------------------------------------------------
    def parts_reader(self, mapping: dict[str, str], minimum: dict[str, float]) -> Callable:
        """Evidence from named parts: part -> attribute, with a visible-share threshold."""

        def read(canvas: Canvas, key_holder: list[str]) -> dict[str, np.ndarray]:
            key = key_holder[0]
            out: dict[str, np.ndarray] = {}
            for part, attr in mapping.items():
                if canvas.visible_fraction(key, part) >= minimum.get(part, OBJECT_VISIBLE):
                    mask = canvas.visible(key, part)
                    if mask.sum() >= 12:
                        out[attr] = mask.copy()
            return out

        return read

    def add_layer_with_parts(
        self,
        layer: Layer,
        xy: tuple[int, int],
        mapping: dict[str, str],
        minimum: dict[str, float] | None = None,
        protect: bool = True,
        items: list[TextItem] | None = None,
    ) -> str:
        holder: list[str] = []
        reader = self.parts_reader(mapping, minimum or {})
        key = self.add(layer, xy, lambda c: reader(c, holder), protect, items)
        holder.append(key)
        return key

    def add_doc(
        self, doc: docs.Doc, xy: tuple[int, int] | None = None, protect: bool = True
    ) -> str:
        layer = docs.doc_layer(doc)
        if xy is None:
            xy = self.free_spot(*layer.size)
        mapping = {p: p for p in layer.parts if p in BY_ID}
        minimum = {p: (OBJECT_VISIBLE if p in doc.whole else TEXT_VISIBLE) for p in mapping}
        return self.add_layer_with_parts(layer, xy, mapping, minimum, protect, list(doc.page.items))

    def add_figure(
        self,
        layer: Layer,
        xy: tuple[int, int],
        *,
        front: bool,
        grayscale: bool,
        face_h: float,
        face_complete_ok: bool = True,
        seated: bool = False,
        group: str | None = None,
    ) -> str:
        size = self.size
        view = FigureView(front, grayscale, face_h, face_complete_ok, seated)
        if face_h >= FACE_MIN * size:
            fb = layer.parts.get("head")
            if fb is not None and fb.any():
                ys, xs = np.nonzero(fb)
                self.protected.append(
                    (xy[0] + xs.min(), xy[1] + ys.min(), xy[0] + xs.max(), xy[1] + ys.max())
                )
        # The reader runs once the scene is composed, when `key` is bound.
        key = self.add(layer, xy, lambda c: figure_evidence(c, key, size, view), protect=False)
        self.placed[-1].items = []
        self.placed[-1].offset = xy
        if group:
            self.groups.setdefault(group, []).append(key)
        return key

    groups: dict[str, list[str]]
    show_legs: bool
    show_feet: bool


# --- planning ---------------------------------------------------------------------------------


@dataclass
class PersonPlan:
    """One person to draw: framing (closeup | medium | waist | full | partial | group), facing,
    cue attributes, a forced outfit, and the relation group it belongs to."""

    mode: str = "medium"
    view: str = "front"  # front | back
    cues: set[str] = field(default_factory=set)
    outfit: str | None = None
    group: str | None = None
    index: int = 0  # place within its group
    group_height: float | None = None  # shared by a group's members, set when first drawn

    def can_carry(self, cue: str) -> bool:
        """Whether this person can show `cue` (at most one outfit cue per person)."""
        if cue in OUTFIT_CUES and (self.outfit is not None or self.cues & OUTFIT_CUES):
            return False
        if cue == "a57_culture" and self.view != "front":
            return False
        if cue == "a39_disability_physical" and self.mode in ("group", "closeup"):
            return False
        # Arms, clothes and wheelchairs need more than a head and shoulders.
        return cue == "a57_culture" or self.mode not in ("closeup", "partial")


def plan_people(R: set[str], rng: random.Random, size: int) -> tuple[list[PersonPlan], bool]:
    """The people a label set needs. Returns (plans, hands): hands when skin must show without a
    person (a hand holding something)."""
    person_need = R & (DESCRIPTORS | CUE_ATTRS | set(GROUPS))
    if not person_need:
        return [], False
    if not (R & (CUE_ATTRS | set(GROUPS))) and (R & DESCRIPTORS) <= {"a17_color"}:
        return [], True  # skin without a person: a hand holding something
    plans: list[PersonPlan] = []
    legs = bool(R & {"a2_weight_approx", "a3_height_approx"})
    feet = "a3_height_approx" in R

    def body_mode() -> str:
        """Framing that shows the build only when the labels say so."""
        if feet:
            return rng.choice(("full", "medium"))
        return rng.choice(("waist", "medium")) if legs else "medium"

    main = PersonPlan()
    if "a5_eye_color" in R:
        main.mode = "closeup"
    elif "a9_face_complete" in R:
        main.mode = rng.choice(("closeup", body_mode(), body_mode()))
    elif "a10_face_partial" in R:
        main.mode = "partial"
    elif R & {"a1_age_approx", "a16_race"}:
        main.mode = "partial"  # age and race are read from a face: at least part of one
    else:
        main.view = "back"
        main.mode = body_mode()
    # With a group in the picture, the main person is one of its members.
    if not (set(GROUPS) & R) or main.mode in ("closeup", "partial"):
        plans.append(main)
    if "a10_face_partial" in R and main.mode != "partial":
        plans.append(PersonPlan("partial"))
    if "a3_height_approx" in R and main.mode != "full":
        plans.append(PersonPlan("full", "front" if "a9_face_complete" in R else "back"))
    elif "a2_weight_approx" in R and main.mode not in ("full", "waist"):
        plans.append(PersonPlan("waist", "front" if "a9_face_complete" in R else "back"))
    plans += group_plans(R, rng)
    # Cues: at most one outfit cue per person.
    for cue in sorted(R & CUE_ATTRS):
        host = next((plan for plan in plans if plan.can_carry(cue)), None)
        if host is None:
            view = "front" if cue == "a57_culture" or R & {"a9_face_complete"} else "back"
            host = PersonPlan(body_mode(), view)
            plans.append(host)
        host.cues.add(cue)
    return plans, False


GROUP_OUTFITS = {"a66_rel_professional": "suit", "a67_rel_competitors": "jersey"}


def group_plans(R: set[str], rng: random.Random) -> list[PersonPlan]:
    """Relations: groups of people at one scale (the views group seen from behind)."""
    plans: list[PersonPlan] = []
    for group, n in GROUPS.items():
        if group not in R:
            continue
        count = n if group in ("a64_rel_personal", "a67_rel_competitors") else rng.randint(n, n + 2)
        view = (
            "back"
            if group == "a69_rel_views" or not R & {"a9_face_complete", "a10_face_partial"}
            else "front"
        )
        outfit = GROUP_OUTFITS.get(group)
        plans += [
            PersonPlan("group", view, outfit=outfit, group=group, index=k) for k in range(count)
        ]
    return plans


OUTFIT_FOR_CUE = {
    "a12_semi_nudity": "swim",
    "a13_full_nudity": "nude",
    "a18_ethnic_clothing": "ethnic",
    "a46_occupation": None,
    "a59_sports": "jersey",
}


HATS = ((40, 40, 45), (200, 30, 30), (230, 200, 30), (240, 240, 240), (30, 60, 140))


@dataclass(frozen=True)
class PeopleLook:
    """What the label set asks of every person drawn."""

    no_hair: bool  # hair colour not requested: hats on
    gray: bool  # skin colour and race not requested: grey people
    eyes: bool  # eye colour requested: close-ups may show the eyes

    @classmethod
    def of(cls, R: set[str]) -> PeopleLook:
        return cls("a6_hair_color" not in R, not R & {"a17_color", "a16_race"}, "a5_eye_color" in R)


def realise_people(scene: Scene, plans: list[PersonPlan], R: set[str], rng: random.Random) -> None:
    look = PeopleLook.of(R)
    for height, i in person_heights(scene, plans, rng):
        plan = plans[i]
        mode = plan.mode
        cues = frozenset(plan.cues)
        if "a39_disability_physical" in cues and mode not in ("group",):
            mode = "full"  # the wheelchair must be in view
        outfit = plan.outfit
        for cue in cues:
            if OUTFIT_FOR_CUE.get(cue):
                outfit = OUTFIT_FOR_CUE[cue]
            if cue == "a46_occupation":
                outfit = rng.choice(("hivis", "labcoat"))
        name = photo_choice(plan, mode, cues, outfit, look, rng)
        if name and add_photo_person(scene, plans, i, mode, name, height, look, rng):
            continue
        spec = figure_spec(plan, cues, outfit, height, look, scene.size, rng)
        add_drawn_person(scene, plans, i, mode, spec, height, look)


def person_heights(
    scene: Scene, plans: list[PersonPlan], rng: random.Random
) -> list[tuple[float, int]]:
    """(height, plan index) in drawing order: farther (smaller) people first, so nearer ones
    overlap them; groups after the others (they are the subject), close-ups last."""
    s = scene.size
    drawn = []
    crowd_n = sum(p.mode not in ("closeup", "partial") for p in plans)
    for i, plan in enumerate(plans):
        mode = plan.mode
        if mode == "closeup":
            height = rng.uniform(1.0, 1.9) * s
        elif mode == "full":
            height = rng.uniform(0.4, 0.85) * s
        elif mode == "waist":
            height = rng.uniform(0.75, 1.3) * s
        elif mode == "group":
            if not plan.group_height:
                base = rng.uniform(0.45, 1.0) * s
                for p in plans:
                    if p.group == plan.group:
                        p.group_height = base * rng.uniform(0.95, 1.05)
            height = plan.group_height
        elif mode == "partial":
            height = rng.uniform(0.6, 1.6) * s if scene.show_legs else rng.uniform(1.1, 1.8) * s
        else:
            height = rng.uniform(0.45, 1.5) * s
        if plan.cues & {"a39_disability_physical"}:
            height = min(height, 0.9 * s)
        if mode not in ("closeup", "partial") and crowd_n > 1:
            # Side by side: a figure is about 0.45 of its height wide.
            height = min(height, rng.uniform(1.8, 2.4) * s / crowd_n)
        drawn.append((height, i))
    drawn.sort(
        key=lambda hi: (plans[hi[1]].mode == "closeup", plans[hi[1]].group is not None, hi[0])
    )
    return drawn


def photo_choice(
    plan: PersonPlan,
    mode: str,
    cues: frozenset[str],
    outfit: str | None,
    look: PeopleLook,
    rng: random.Random,
) -> str | None:
    """The packaged photo to cut this person from, or None to draw them."""
    use_photo = (
        mode in ("closeup", "medium")
        and plan.view == "front"
        and not cues
        and outfit is None
        and not look.no_hair
        and rng.random() < 0.35
    )
    if mode == "partial" and look.gray and rng.random() < 0.6:
        use_photo = True
    if not use_photo:
        return None
    colour_photos = sources.available(("astronaut", "grace_hopper"))
    name = (
        "camera"
        if look.gray or mode == "partial" and rng.random() < 0.3
        else (rng.choice(colour_photos) if colour_photos else "camera")
    )
    if name == "camera" and not look.gray or name != "camera" and look.gray:
        return None
    if not sources.available((name,)) or not sources.cutout_available(name):
        return None  # its package, or its person mask, is not installed
    return name


def add_photo_person(
    scene: Scene,
    plans: list[PersonPlan],
    i: int,
    mode: str,
    name: str,
    height: float,
    look: PeopleLook,
    rng: random.Random,
) -> bool:
    """Places a person cut from a photo; False when its face would show the eyes unasked (the
    caller then draws one instead)."""
    upper = height * 0.5  # the photos show the upper body: head to waist
    pf = photo_figure(name, int(upper), rng, flip=rng.random() < 0.5)
    layer = pf.layer
    ys, xs = np.nonzero(layer.parts["face"])
    face_h = float(ys.max() - ys.min()) if len(ys) else 0.0
    if not look.eyes and face_h >= CLOSEUP * scene.size:
        return False  # a close-up shows eye colour, unlabelled here
    face_box = (xs.min(), ys.min(), xs.max(), ys.max())
    xy = place_person(scene, layer, plans, i, mode, face_box=face_box, legs=False)
    scene.add_figure(
        layer,
        xy,
        front=True,
        grayscale=pf.grayscale,
        face_h=face_h,
        face_complete_ok=pf.face_complete,
        group=plans[i].group,
    )
    return True


def figure_spec(
    plan: PersonPlan,
    cues: frozenset[str],
    outfit: str | None,
    height: float,
    look: PeopleLook,
    s: int,
    rng: random.Random,
) -> FigureSpec:
    """The drawn figure for a plan: random looks, then what the labels and the group force."""
    spec = random_spec(
        rng,
        int(height),
        view=plan.view,
        grayscale=look.gray,
        cues=cues,
        number=str(rng.randrange(1, 99)),
    )
    if outfit:
        spec = replace(spec, outfit=outfit)
    if plan.group == "a67_rel_competitors":
        spec = replace(spec, top=CLOTH[plan.index % 2 * 3 + 1], outfit="jersey")
    if plan.group == "a64_rel_personal" and plan.index == 0:
        spec = replace(spec, arm_across=1)
    if look.no_hair:
        spec = replace(spec, hair=None, hat=rng.choice(HATS))
    elif spec.hair is None:
        spec = replace(spec, hair=HAIR_COLORS[rng.randrange(len(HAIR_COLORS))])
    if "a11_tattoo" in cues and spec.outfit not in ("swim", "nude"):
        spec = replace(
            spec,
            short_sleeves=True,
            outfit="casual" if spec.outfit in ("suit", "labcoat", "ethnic") else spec.outfit,
        )
    if height / 7.5 >= CLOSEUP * s and not look.eyes and spec.view == "front":
        spec = replace(spec, sunglasses=True)
    return spec


def add_drawn_person(
    scene: Scene,
    plans: list[PersonPlan],
    i: int,
    mode: str,
    spec: FigureSpec,
    height: float,
    look: PeopleLook,
) -> None:
    layer = draw_figure(spec)
    # Partial faces are cut through the face itself, not through the hair above it.
    part = layer.parts.get("face") if mode == "partial" else layer.parts.get("head")
    if part is None or not part.any():
        part = layer.parts.get("head")
    ys, xs = np.nonzero(part) if part is not None and part.any() else (np.array([0]), np.array([0]))
    face_box = (xs.min(), ys.min(), xs.max(), ys.max())
    xy = place_person(scene, layer, plans, i, mode, face_box=face_box, legs=True)
    scene.add_figure(
        layer,
        xy,
        front=spec.view == "front",
        grayscale=look.gray,
        face_h=height / 7.5,
        seated="a39_disability_physical" in spec.cues,
        group=plans[i].group,
    )


def place_person(
    scene: Scene,
    layer: Layer,
    plans: list[PersonPlan],
    i: int,
    mode: str,
    face_box: tuple[int, int, int, int],
    legs: bool,
) -> tuple[int, int]:
    s = scene.size
    rng = scene.rng
    h = layer.size[1]
    n = len(plans)
    fx0, fy0, fx1, fy1 = face_box
    fcx = (fx0 + fx1) / 2
    # Close-ups stand at the left; everyone else shares the rest of the width in slots, so a
    # big near person does not hide a group.
    big = [k for k, p in enumerate(plans) if p.mode == "closeup"]
    small = [k for k in range(n) if k not in big]
    if mode == "closeup":
        cx = rng.uniform(0.08, 0.22) * s
    else:
        lo = 0.5 if big else 0.0
        slot = (small.index(i) + 0.5) / len(small)
        cx = (lo + (1 - lo) * (slot + rng.uniform(-0.25, 0.25) / len(small))) * s
    if mode == "closeup":
        top = rng.uniform(0.02, 0.2) * s
        y = top - fy0
    elif mode == "full":
        bottom = rng.uniform(max(h + 0.02 * s, scene.ground), s - 3) if h < s - 3 else s - 3
        y = bottom - h
    elif mode == "waist":
        hip = (fy1 - fy0) * 4.2 + fy0
        y = rng.uniform(s - h, s - hip - 2) if legs and h > s else s * 0.2 - fy0
        y = min(y, s - hip - 2) if legs else y
    elif mode == "partial":
        face_w = fx1 - fx0
        if rng.random() < 0.7:  # the face cut by the left or right edge
            edge = 0 if rng.random() < 0.5 else s
            cx_face = edge + (
                rng.uniform(-0.1, 0.15) * face_w if edge == 0 else -rng.uniform(-0.1, 0.15) * face_w
            )
            x = int(cx_face - fcx)
            y = int(rng.uniform(0.05, 0.4) * s - fy0)
            return x, y
        y = -fy0 - (fy1 - fy0) * rng.uniform(0.3, 0.6)  # cut by the top edge
        return int(cx - fcx), int(y)
    else:
        if scene.show_feet:
            feet = rng.uniform(max(scene.ground, 0.6 * s), s + 0.5 * h)
        elif scene.show_legs:  # hips and thighs in view, not the feet
            feet = s + rng.uniform(0.03, 0.15) * h
        else:  # cut at the thighs: the body's build (weight, height) stays unseen
            feet = s + rng.uniform(0.32, 0.5) * h
        y = feet - h
        y = max(y, 0.02 * s - fy0)
    x = cx - fcx
    # Keep the face inside the frame (a face cut by the edge would be a partial face).
    x = min(max(x, -fx0 + 2), s - fx1 - 3)
    y = max(y, -fy0 + 2)
    return int(x), int(y)


# --- text carriers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TextPlan:
    """One document or screen to draw: its carrier kind, the text attributes it shows, and
    carrier options (id kind, signed, political...)."""

    carrier: str
    fields: list[str]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CarrierJob:
    """Everything a carrier renderer may use; every renderer takes just this."""

    rng: random.Random
    who: Persona
    other: Persona
    fields: list[str]
    options: dict
    scale: float


@dataclass(frozen=True)
class Carrier:
    render: Callable[[CarrierJob], docs.Doc]
    fields: frozenset[str] = frozenset()  # further text attributes it can carry
    fixed_size: bool = False  # a sign or badge: never blown up to fill the frame alone
    handheld: bool = False  # small enough to be held up by a hand
    tilts: bool = True  # may be shown rotated
    where: str = "free"  # free | chest (pinned on a person) | corner (a camera's stamp)


NAME = frozenset({"a19_name_full"})
DATED = frozenset({"a82_date_time"})
ID_FIELDS = frozenset(docs.CARD_FIELDS) - {"a82_date_time", "a78_address_home_complete"}
CARRIERS: dict[str, Carrier] = {
    "form": Carrier(
        lambda j: docs.form(
            j.rng,
            j.who,
            j.fields,
            j.scale,
            signed=j.options.get("signed", False),
            hand=j.options.get("hand", False),
        ),
        frozenset(docs.FORM_FIELDS),
    ),
    "id": Carrier(
        lambda j: docs.id_card(j.rng, j.who, j.options["kind"], j.fields, j.scale),
        ID_FIELDS,
        handheld=True,
    ),
    "passport": Carrier(
        lambda j: docs.passport(j.rng, j.who, j.fields, j.scale), ID_FIELDS, handheld=True
    ),
    "card": Carrier(
        lambda j: docs.credit_card(j.rng, j.who, j.fields, j.scale), NAME, handheld=True
    ),
    "ticket": Carrier(
        lambda j: docs.ticket(j.rng, j.scale, dated="a82_date_time" in j.fields),
        DATED,
        handheld=True,
    ),
    "chat": Carrier(
        lambda j: docs.chat_screen(j.rng, j.who, j.other, j.fields, j.scale),
        frozenset({"a19_name_full", "a20_name_first", "a49_phone", "a90_email", "a85_username"}),
        handheld=True,
    ),
    "email": Carrier(
        lambda j: docs.email_window(j.rng, j.who, j.fields, j.scale),
        frozenset({"a90_email", "a19_name_full", "a49_phone"}),
    ),
    "envelope": Carrier(
        lambda j: docs.envelope(j.rng, j.who, j.fields, j.scale),
        frozenset({"a19_name_full", "a78_address_home_complete", "a26_handwriting"}),
    ),
    "receipt": Carrier(lambda j: docs.receipt(j.rng, j.fields, j.scale), DATED),
    "prescription": Carrier(lambda j: docs.prescription(j.rng, j.who, j.fields, j.scale), NAME),
    "certificate": Carrier(lambda j: docs.certificate(j.rng, j.who, j.fields, j.scale), NAME),
    "placard": Carrier(lambda j: docs.placard(j.rng, j.options["political"], j.scale)),
    "post": Carrier(
        lambda j: docs.social_post(j.rng, j.who, j.fields, j.scale),
        frozenset(
            {"a85_username", "a82_date_time", "a61_opinion_general", "a62_opinion_political"}
        ),
    ),
    "street_sign": Carrier(
        lambda j: docs.street_sign(j.rng, j.who, j.options["complete"], j.scale),
        fixed_size=True,
        tilts=False,
    ),
    "plaque": Carrier(lambda j: docs.house_plaque(j.rng, j.who, j.scale), fixed_size=True),
    "note": Carrier(
        lambda j: docs.handwritten_note(j.rng, j.who, j.fields, j.scale),
        frozenset({"a49_phone", "a20_name_first", "a19_name_full"}),
        handheld=True,
    ),
    "timestamp": Carrier(lambda j: docs.timestamp_stamp(j.rng, j.scale), where="corner"),
    "badge": Carrier(
        lambda j: docs.name_badge(j.rng, j.who, j.fields[0], j.scale),
        fixed_size=True,
        where="chest",
    ),
    "phone_sign": Carrier(lambda j: docs.phone_sign(j.rng, j.who, j.scale), fixed_size=True),
    "business": Carrier(
        lambda j: docs.business_card(j.rng, j.who, j.fields, j.scale),
        frozenset(
            {
                "a19_name_full",
                "a20_name_first",
                "a21_name_last",
                "a90_email",
                "a49_phone",
                "a85_username",
            }
        ),
        handheld=True,
    ),
}
TEXT_HOSTS = {name: set(c.fields) for name, c in CARRIERS.items() if c.fields}
TEXT_ATTRS = frozenset(a.id for a in BY_ID.values() if a.index >= 0 and a.mask_type == "text")


def render_carrier(
    carrier: str,
    fields: list[str],
    opts: dict,
    rng: random.Random,
    who: Persona,
    other: Persona,
    scale: float,
) -> docs.Doc:
    """One carrier's document (the table's renderer, called with the loose arguments)."""
    return CARRIERS[carrier].render(CarrierJob(rng, who, other, fields, opts, scale))


# Document attributes and the carrier that shows each, in planning order.
DOCUMENTS = (
    ("a29_ausweis", "id"),
    ("a31_passport", "passport"),
    ("a32_drivers_license", "id"),
    ("a33_student_id", "id"),
    ("a30_credit_card", "card"),
    ("a38_ticket", "ticket"),
    ("a97_online_conversation", "chat"),
    ("a92_email_content", "email"),
    ("a35_mail", "envelope"),
    ("a37_receipt", "receipt"),
    ("a43_medicine", "prescription"),
    ("a70_education_history", "certificate"),
)


def plan_text(R: set[str], rng: random.Random, persons: bool) -> list[TextPlan]:
    """Carriers for the text and document attributes, each with the fields it shows."""
    todo = set(R) & (TEXT_ATTRS | set(ID_DOCS) | {"a30_credit_card", "a38_ticket"})
    todo -= set(PLATES)
    carriers: list[TextPlan] = []

    def absorb(host: str, prob: float = 0.8) -> list[str]:
        got = [a for a in sorted(todo & CARRIERS[host].fields) if rng.random() < prob]
        todo.difference_update(got)
        return got

    def add(carrier: str, fields: list[str], **options) -> None:
        carriers.append(TextPlan(carrier, fields, options))

    for attr, carrier in DOCUMENTS:
        if attr in todo:
            todo.discard(attr)
            add(carrier, absorb(carrier), **({"kind": attr} if attr in ID_DOCS else {}))
    for attr in ("a61_opinion_general", "a62_opinion_political"):
        if attr in todo:
            todo.discard(attr)
            if rng.random() < 0.5:
                add("placard", [attr], political=attr == "a62_opinion_political")
            else:
                add("post", [attr] + absorb("post"))
    if "a75_address_current_partial" in todo:
        todo.discard("a75_address_current_partial")
        add("street_sign", [], complete=False)
    if "a74_address_current_complete" in todo:
        todo.discard("a74_address_current_complete")
        add("street_sign", [], complete=True)
    if "a79_address_home_partial" in todo and rng.random() < 0.5:
        todo.discard("a79_address_home_partial")
        add("plaque", [])
    if "a26_handwriting" in todo:
        todo.discard("a26_handwriting")
        if rng.random() < 0.6 or not todo & CARRIERS["form"].fields:
            add("note", absorb("note"))
        else:
            add("form", absorb("form", prob=1.0), hand=True)
    if "a82_date_time" in todo and rng.random() < 0.6:
        todo.discard("a82_date_time")
        add("timestamp", [])
    names = todo & {"a19_name_full", "a20_name_first", "a21_name_last"}
    if persons and names and rng.random() < 0.6:
        attr = min(names)
        todo.discard(attr)
        add("badge", [attr])
    if "a49_phone" in todo and rng.random() < 0.4:
        todo.discard("a49_phone")
        add("phone_sign", [])
    if todo & {"a90_email", "a85_username"} and rng.random() < 0.5:
        add("business", absorb("business", prob=1.0))
    signed = "a8_signature" in todo
    todo.discard("a8_signature")
    if todo:
        form_fields = sorted(todo & CARRIERS["form"].fields)
        todo.difference_update(form_fields)
        if form_fields or signed:
            add("form", form_fields, signed=signed)
            signed = False
        for leftover in sorted(todo):  # e.g. a username without a host yet
            add("business", [leftover])
    if signed:
        add("form", [], signed=True)
    return carriers


def fit(doc: docs.Doc, max_side: float) -> docs.Doc:
    """Scales a doc down so its longer side is at most `max_side`."""
    w, h = doc.page.image.size
    factor = max_side / max(w, h)
    if factor >= 1:
        return doc
    size = (max(2, int(w * factor)), max(2, int(h * factor)))
    image = doc.page.image.resize(size, Image.LANCZOS)
    items = []
    for item in doc.page.items:
        poly = [(x * factor, y * factor) for x, y in item.polygon]
        x0, y0, x1, y1 = (round(v * factor) for v in item.box)
        box = (x0, y0, x1, y1)
        items.append(TextItem(item.text, item.kind, box, poly, item.attributes, item.line))
    extra = {
        k: np.asarray(Image.fromarray(v).resize(size, Image.NEAREST))
        for k, v in doc.extra_parts.items()
    }
    return docs.Doc(Page(image, items, doc.page._lines), doc.whole, doc.kind, extra)


# --- the whole scene ---------------------------------------------------------------------------


def render_scene(requested: set[str] | frozenset[str], seed: int, size: int = 448) -> SceneResult:
    rng = random.Random(seed)
    R = set(requested) - {SAFE}
    who = make_persona(rng.randrange(1 << 30))
    other = make_persona(rng.randrange(1 << 30))
    people_plans, hands = plan_people(R, rng, size)
    needs_people = bool(people_plans) or "a68_rel_spectators" in R
    background, ground = backgrounds.any_background(size, rng, needs_people)
    scene = Scene(size, rng, background, ground)
    scene.groups = {}
    scene.show_legs = bool(R & {"a2_weight_approx", "a3_height_approx"})
    scene.show_feet = "a3_height_approx" in R
    # Back to front: far objects, clutter, people, vehicles, props, text.
    add_far_objects(scene, R)
    add_clutter(scene)
    realise_people(scene, people_plans, R, rng)
    add_vehicle(scene, R, who)
    add_near_props(scene, R)
    texts = plan_text(R, rng, persons=bool(people_plans))
    stamps = [t for t in texts if CARRIERS[t.carrier].where == "corner"]
    texts = [t for t in texts if CARRIERS[t.carrier].where != "corner"]
    add_texts(scene, texts, who, other, hands, alone=not people_plans)
    if "a99_legal_involvement" in R:
        add_police_tape(scene)
    for text in stamps:
        add_stamp(scene, text, who, other)
    return finish(scene, sorted(requested))


# Big landmarks standing on the ground: attribute, maker, width range, left edge range.
FAR_PROPS = (
    ("a73_landmark", props.landmark, (0.45, 0.9), (-0.1, 0.7)),
    ("a55_religion", props.place_of_worship, (0.35, 0.75), (0, 0.6)),
)
# Props in front of the people: attribute, maker, size range.
NEAR_PROPS = (
    ("a60_occassion_personal", props.party, (0.2, 0.4)),
    ("a58_hobbies", props.hobby, (0.15, 0.35)),
    ("a7_fingerprint", props.fingerprint, (0.12, 0.25)),
)


def add_far_objects(scene: Scene, R: set[str]) -> None:
    """Landmarks, buildings, spectators, an office and flags: the back of the scene."""
    rng, s, ground = scene.rng, scene.size, scene.ground
    for attr, maker, width, left in FAR_PROPS:
        if attr in R:
            layer = maker(rng, int(rng.uniform(*width) * s))
            xy = (
                int(rng.uniform(*left) * s),
                int(min(ground, s * 0.85) - layer.size[1] * rng.uniform(0.8, 1.0)),
            )
            cue = f"cue:{attr}"
            scene.add_layer_with_parts(layer, xy, {cue: attr}, {cue: 0.25}, protect=False)
    if "a68_rel_spectators" in R:
        band_h = int(rng.uniform(0.2, 0.4) * s)
        layer = crowd(s, band_h, rng, head=rng.uniform(0.018, 0.03) * s)
        y0 = int(rng.uniform(0.0, 0.25) * s)
        scene.add_layer_with_parts(
            layer, (0, y0), {"body": "a68_rel_spectators"}, {"body": 0.2}, protect=False
        )
    if "a48_occassion_work" in R:
        layer = props.office(rng, int(rng.uniform(0.5, 0.9) * s))
        xy = scene.free_spot(*layer.size, region=(0, s * 0.2, s, s))
        scene.add_layer_with_parts(
            layer,
            xy,
            {"cue:a48_occassion_work": "a48_occassion_work"},
            {"cue:a48_occassion_work": 0.25},
            protect=False,
        )
    if "a56_sexual_orientation" in R:
        layer = props.rainbow_flag(rng, int(rng.uniform(0.2, 0.45) * s))
        xy = scene.free_spot(*layer.size)
        scene.add_layer_with_parts(
            layer, xy, {"cue:a56_sexual_orientation": "a56_sexual_orientation"}
        )


def add_clutter(scene: Scene) -> None:
    """Harmless objects, plain signs and greeked sheets behind the people and documents."""
    rng, s = scene.rng, scene.size
    unit = s / 448.0
    for _ in range(rng.randint(0, 3)):
        layer = props.clutter(rng, int(rng.uniform(0.08, 0.25) * s))
        xy = scene.free_spot(*layer.size)
        scene.add_layer_with_parts(layer, xy, {}, protect=False)
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        doc = docs.plain_sign(rng, unit * rng.uniform(0.8, 1.6))
        scene.add_doc(fit(doc, 0.5 * s))
    if rng.random() < 0.2:
        scene.add_doc(fit(docs.greeked_sheet(rng, unit * rng.uniform(0.8, 1.5)), 0.6 * s))


def add_vehicle(scene: Scene, R: set[str], who: Persona) -> None:
    """A car or motorcycle in front of the people, so nobody hides its plate."""
    plate_attr = next((p for p in PLATES if p in R), None)
    if "a102_vehicle_ownership" not in R and not plate_attr:
        return
    rng, s, ground = scene.rng, scene.size, scene.ground
    whole = "a102_vehicle_ownership" in R
    rear = plate_attr is not None
    if not rear and rng.random() < 0.3 and props.sources.available(("motorcycle",)):
        layer = props.motorcycle(rng, int(rng.uniform(0.4, 0.8) * s))
    else:
        width = int(rng.uniform(0.45, 0.85) * s) if whole else int(rng.uniform(0.6, 0.95) * s)
        layer = props.car(rng, width, rear, who.plate if rear else None, plate_attr)
    w, h = layer.size
    if whole:
        xy = (
            int(rng.uniform(0, max(1, s - w))),
            int(rng.uniform(max(0, ground - h * 0.6), max(1, s - h))),
        )
    else:  # only part of the car: cut by a side of the frame, its plate still in view
        cut = rng.uniform(0.22, 0.3) * w
        x = -cut if rng.random() < 0.5 else s - w + cut
        xy = (int(x), int(rng.uniform(max(0, ground - h * 0.5), max(1, s - h * 0.8))))
    if plate_attr == "a104_license_plate_partial":
        plate = layer.parts["plate"]
        xs = np.nonzero(plate)[1]
        pw = xs.max() - xs.min()
        # The plate cut by the frame's left or right edge.
        if rng.random() < 0.5:
            xy = (int(-xs.min() - pw * rng.uniform(0.3, 0.6)), xy[1])
        else:
            xy = (int(s - xs.max() + pw * rng.uniform(0.3, 0.6)), xy[1])
    mapping = {"vehicle": "a102_vehicle_ownership"}
    minimum = {"vehicle": 0.85}
    if plate_attr:
        mapping["plate"] = "_plate"
        minimum["plate"] = 0.2
    scene.add_layer_with_parts(layer, xy, mapping, minimum, protect=False)


def add_near_props(scene: Scene, R: set[str]) -> None:
    rng, s = scene.rng, scene.size
    for attr, maker, frac in NEAR_PROPS:
        if attr in R:
            layer = maker(rng, int(rng.uniform(*frac) * s))
            xy = scene.free_spot(*layer.size)
            scene.add_layer_with_parts(layer, xy, {f"cue:{attr}": attr})


def add_texts(
    scene: Scene, texts: list[TextPlan], who: Persona, other: Persona, hands: bool, alone: bool
) -> None:
    """Documents and screens; with `hands`, the first hand-held one is held by a hand. A lone
    document with no people around fills most of the frame."""
    rng, s = scene.rng, scene.size
    unit = s / 448.0
    for text in texts:
        carrier = CARRIERS[text.carrier]
        if len(texts) == 1 and alone and not carrier.fixed_size:
            scale = unit * rng.uniform(1.3, 2.2)
            max_side = rng.uniform(0.7, 0.98) * s
        else:
            scale = unit * rng.uniform(0.9, 1.4)
            max_side = rng.uniform(0.35, 0.65) * s
        doc = carrier.render(CarrierJob(rng, who, other, text.fields, text.options, scale))
        if carrier.where == "chest":
            badge_on_person(scene, fit(doc, 0.3 * s))
            continue
        if carrier.tilts and rng.random() < 0.7:
            doc = docs.rotated(doc, max(-25.0, min(25.0, rng.gauss(0, 8))))
        doc = fit(doc, max_side)
        if hands and carrier.handheld:
            w, h = doc.page.image.size
            xy = scene.free_spot(w, h)
            hand = hand_holding(max(12, int(w * 0.45)), rng.choice(SKIN_TONES), rng)
            hx = int(xy[0] + w * 0.3)
            hy = int(xy[1] + h * 0.55)
            scene.add_layer_with_parts(
                hand, (hx, hy), {"skin": "a17_color"}, {"skin": 0.3}, protect=False
            )
            hands = False
            scene.add_doc(doc, xy)
            continue
        scene.add_doc(doc)
    if hands:  # a hand with nothing to hold
        hand = hand_holding(int(rng.uniform(0.15, 0.3) * s), rng.choice(SKIN_TONES), rng)
        scene.add_layer_with_parts(
            hand, scene.free_spot(*hand.size), {"skin": "a17_color"}, {"skin": 0.3}
        )


def add_police_tape(scene: Scene) -> None:
    rng, s = scene.rng, scene.size
    layer = props.police_tape(rng, int(s * 1.5))
    angle = rng.uniform(-25, 25)
    image = layer.image.rotate(angle, expand=True, resample=Image.BICUBIC)
    part = Image.fromarray(layer.parts["cue:a99_legal_involvement"].astype(np.uint8) * 255).rotate(
        angle, expand=True
    )
    rotated = Layer(image, {"cue:a99_legal_involvement": np.asarray(part) > 127})
    xy = (int(s / 2 - image.width / 2), int(rng.uniform(0.45, 0.85) * s - image.height / 2))
    scene.add_layer_with_parts(
        rotated,
        xy,
        {"cue:a99_legal_involvement": "a99_legal_involvement"},
        {"cue:a99_legal_involvement": 0.2},
    )


def add_stamp(scene: Scene, text: TextPlan, who: Persona, other: Persona) -> None:
    """A camera's date stamp in a bottom corner."""
    rng, s = scene.rng, scene.size
    scale = s / 448.0 * rng.uniform(0.9, 1.3)
    job = CarrierJob(rng, who, other, text.fields, text.options, scale)
    doc = CARRIERS[text.carrier].render(job)
    w, h = doc.page.image.size
    x = int(s - w - 0.03 * s) if rng.random() < 0.7 else int(0.03 * s)
    scene.add_doc(doc, (x, int(s - h - 0.03 * s)))


def badge_on_person(scene: Scene, doc: docs.Doc) -> None:
    """Pins a name badge on the chest of the largest visible front-facing person, else on a
    free spot (held up, as at a conference desk)."""
    best = None
    for placed in scene.placed:
        torso = scene.canvas.visible(placed.key, "torso")
        area = int(torso.sum())
        if area > 0 and (best is None or area > best[0]):
            best = (area, torso)
    layer = docs.doc_layer(docs.rotated(doc, scene.rng.uniform(-8, 8)))
    w, h = layer.size
    if best is not None and best[0] > 4 * w * h:
        ys, xs = np.nonzero(best[1])
        cx = np.percentile(xs, scene.rng.choice((30, 65)))
        cy = np.percentile(ys, 25)
        xy = (int(cx - w / 2), int(cy))
    else:
        xy = scene.free_spot(w, h)
    mapping = {p: p for p in layer.parts if p in BY_ID}
    scene.add_layer_with_parts(
        layer, xy, mapping, {p: TEXT_VISIBLE for p in mapping}, items=list(doc.page.items)
    )


def finish(scene: Scene, requested: list[str]) -> SceneResult:
    rng = scene.rng
    s = scene.size
    found: dict[str, np.ndarray] = {}
    bodies: dict[str, np.ndarray] = {}
    for placed in scene.placed:
        evidence = placed.evaluate(scene.canvas)
        body = evidence.pop("_body", None)
        if body is not None:
            bodies[placed.key] = body
        plate = evidence.pop("_plate", None)
        if plate is not None:
            frac = scene.canvas.visible_fraction(placed.key, "plate")
            ys = np.nonzero(plate)[0]
            tall = (ys.max() - ys.min()) >= 0.016 * s if len(ys) else False
            if frac >= 0.97 and tall:
                evidence["a103_license_plate_complete"] = plate
            elif frac >= 0.25 and tall:
                evidence["a104_license_plate_partial"] = plate
        _union(found, evidence)
    for group, keys in scene.groups.items():
        visible = [
            bodies[k]
            for k in keys
            if k in bodies and scene.canvas.visible_fraction(k, "body") >= 0.25
        ]
        if len(visible) >= GROUPS[group]:
            found[group] = np.logical_or.reduce(visible)
    found = {a: m for a, m in found.items() if a in BY_ID and m.sum() >= 8}
    if not found:
        found = {SAFE: np.ones((s, s), bool)}
    image = scene.canvas.rgb()
    image = photometric(image, rng)
    labels = [a for a in VISPR_IDS if a in found]
    items = []
    for placed in scene.placed:
        dx, dy = placed.offset
        for item in placed.items:
            items.append(
                {
                    "kind": item.kind,
                    "attributes": list(item.attributes),
                    "box": [
                        int(item.box[0] + dx),
                        int(item.box[1] + dy),
                        int(item.box[2] + dx),
                        int(item.box[3] + dy),
                    ],
                }
            )
    return SceneResult(image, labels, {a: found[a] for a in labels}, requested, items)


def photometric(image: Image.Image, rng: random.Random) -> Image.Image:
    """Camera-like variation: exposure, colour cast, sensor noise, occasional blur."""
    gain, offset = rng.uniform(0.8, 1.15), rng.uniform(-15, 15)
    lut: list[int] = []
    for _ in range(3):  # one lookup table per channel: exposure times a colour cast
        cast = gain * rng.uniform(0.92, 1.08)
        lut += [min(255, max(0, int(v * cast + offset))) for v in range(256)]
    out = image.point(lut)
    if rng.random() < 0.5:
        g = np.random.default_rng(rng.randrange(1 << 30))
        noise = g.standard_normal(out.size[::-1], dtype=np.float32) * rng.uniform(1, 5)
        arr = np.asarray(out, np.int16) + noise.astype(np.int16)[..., None]
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if rng.random() < 0.15:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
    return out
