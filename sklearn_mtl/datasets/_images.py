"""Generated images and clips whose labels answer several questions at once.

Three toy versions of the questions that motivate the project: is there a car, of
which colour and body, with a driver (:func:`make_car_images`); in a handball clip, did
the pass happen and how (:func:`make_handball_clips`); which crop is a leaf and is it
healthy (:func:`make_leaf_images`). Shapes are drawn with 2× supersampling (smooth
edges), placed, scaled and coloured at random, then Gaussian noise is added. The data
are cheap and fully controlled; they make no claim about real photographs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_params

from .._schema import Task
from ._synthetic import _check_fraction, _check_int, _check_real

# random_state and return_tasks named in their errors, as scikit-learn's make_* name them
_SEEDED = validate_params({"random_state": ["random_state"], "return_tasks": ["boolean"]},
                          prefer_skip_nested_validation=True)

_SS = 2  # supersampling factor

CAR_COLORS = {
    "red": (0.80, 0.10, 0.10),
    "black": (0.08, 0.08, 0.09),
    "white": (0.93, 0.93, 0.93),
    "blue": (0.10, 0.22, 0.80),
}

# Car silhouettes in car-local units (u along the length from the rear, w up from the
# ground; 1 = the car's length): body box, cabin polygon, wheel radius, spare wheel.
CAR_BODIES = {
    "berline": dict(
        body=(0.0, 1.0, 0.12, 0.30),
        cabin=[(0.20, 0.30), (0.80, 0.30), (0.66, 0.50), (0.32, 0.50)],
        wheel=0.10, spare=False,
    ),
    "4x4": dict(
        body=(0.04, 0.96, 0.24, 0.48),
        cabin=[(0.14, 0.48), (0.90, 0.48), (0.86, 0.76), (0.16, 0.76)],
        wheel=0.15, spare=True,
    ),
    "suv": dict(
        body=(0.0, 1.0, 0.16, 0.40),
        cabin=[(0.04, 0.40), (0.84, 0.40), (0.72, 0.64), (0.06, 0.64)],
        wheel=0.12, spare=False,
    ),
    "coupe": dict(
        body=(0.0, 1.0, 0.10, 0.25),
        cabin=[(0.18, 0.25), (0.74, 0.25), (0.56, 0.40), (0.42, 0.40)],
        wheel=0.09, spare=False,
    ),
}

HANDBALL_OUTCOMES = ["successful", "not_successful", "out"]
HANDBALL_PASS_TYPES = ["shoulder", "hip", "overhead", "bounce", "lob", "wrist"]
HANDBALL_MOVEMENTS = ["running", "walking", "jumping", "standing"]

LEAF_CROPS = ["potato", "tomato", "pepper"]
LEAF_HEALTH = ["healthy", "early_blight", "late_blight"]


# ------------------------------------------------------------------------------ helpers
def _check_params(n_samples, image_size, noise, min_size):
    # make_multitask_classification's checks: bools are refused, not taken as 0 or 1.
    _check_int("n_samples", n_samples, 1)
    _check_int("image_size", image_size, min_size)
    _check_real("noise", noise, 0)


def _grid(size):
    """Supersampled pixel-centre coordinates (y, x), each of shape (size·SS, size·SS)."""
    c = (np.arange(size * _SS) + 0.5) / _SS
    return np.meshgrid(c, c, indexing="ij")


def _downsample(canvas):
    """(C, H·SS, W·SS) -> (C, H, W) by averaging SS×SS blocks."""
    c, h, w = canvas.shape
    return canvas.reshape(c, h // _SS, _SS, w // _SS, _SS).mean(axis=(2, 4))


def _paint(canvas, mask, color):
    canvas[:, mask] = np.asarray(color, dtype=canvas.dtype)[:, None]


def _convex(u, w, points):
    """Inside a convex polygon given counter-clockwise or clockwise."""
    pts = np.asarray(points, dtype=float)
    signs = []
    for (u0, w0), (u1, w1) in zip(pts, np.roll(pts, -1, axis=0)):
        signs.append((u1 - u0) * (w - w0) - (w1 - w0) * (u - u0))
    signs = np.stack(signs)
    return (signs >= 0).all(axis=0) | (signs <= 0).all(axis=0)


def _finish(canvas, noise, rng):
    img = _downsample(canvas)
    # Drawn even at noise=0: the scenes that follow then do not depend on the noise, so
    # noise=0 gives the same images as any other noise, without it.
    img = img + noise * rng.standard_normal(img.shape)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _labels(columns, gated_on=None):
    """DataFrame of string columns; gated columns are <NA> where ``gated_on`` is False."""
    frame = {}
    for name, values in columns.items():
        values = np.asarray(values, dtype=object)
        if gated_on is not None and name in gated_on[1]:
            values = np.where(gated_on[0], values, None)
        frame[name] = pd.array(values, dtype="string")
    return pd.DataFrame(frame)


# ----------------------------------------------------------------------------- cars
def _draw_background(canvas, yy, xx, size, rng):
    horizon = rng.uniform(0.40, 0.60) * size
    sky = rng.uniform([0.50, 0.60, 0.75], [0.75, 0.80, 0.95])
    ground = rng.uniform(0.30, 0.50) * np.ones(3) + rng.uniform(-0.04, 0.04, 3)
    canvas[:] = sky[:, None, None]
    _paint(canvas, yy > horizon, ground)
    for _ in range(rng.randint(0, 4)):  # distractors: trees, houses, rocks
        kind = rng.randint(3)
        cx, cy = rng.uniform(0, size), rng.uniform(0.2 * size, 0.9 * size)
        s = rng.uniform(0.08, 0.22) * size
        color = rng.uniform(0.0, 1.0, 3)
        if kind == 0:  # tree: trunk and crown
            _paint(canvas, (np.abs(xx - cx) < s * 0.12) & (yy > cy) & (yy < cy + s),
                   (0.35, 0.22, 0.10))
            _paint(canvas, ((xx - cx) / s) ** 2 + ((yy - cy) / (0.8 * s)) ** 2 < 1,
                   (0.10, rng.uniform(0.35, 0.6), 0.12))
        elif kind == 1:  # house: a box and a roof
            _paint(canvas, (np.abs(xx - cx) < s) & (yy > cy) & (yy < cy + s), color)
            _paint(canvas, (yy <= cy) & (yy > cy - 0.7 * s)
                   & (np.abs(xx - cx) < s * (1 - (cy - yy) / (0.7 * s))), rng.uniform(0, 1, 3))
        else:  # rock
            _paint(canvas, ((xx - cx) / s) ** 2 + ((yy - cy) / (0.5 * s)) ** 2 < 1,
                   color * 0.5 + 0.25)


def _draw_car(canvas, yy, xx, size, color, body, driver, rng):
    geometry = CAR_BODIES[body]
    length = rng.uniform(0.55, 0.75) * size * (0.88 if body == "coupe" else 1.0)
    ground = rng.uniform(0.74, 0.9) * size
    left = rng.uniform(0.04 * size, size - length - 0.04 * size)
    u = (xx - left) / length
    if rng.rand() < 0.5:  # facing left
        u = 1.0 - u
    w = (ground - yy) / length
    u0, u1, w0, w1 = geometry["body"]
    paint = np.clip(np.asarray(CAR_COLORS[color]) + rng.uniform(-0.07, 0.07, 3), 0, 1)
    cabin = np.asarray(geometry["cabin"])
    _paint(canvas, _convex(u, w, cabin), paint)
    _paint(canvas, (u >= u0) & (u <= u1) & (w >= w0) & (w <= w1), paint)
    centre = cabin.mean(axis=0)
    window = centre + 0.72 * (cabin - centre)
    _paint(canvas, _convex(u, w, window), (0.72, 0.84, 0.95))
    if driver:  # a head behind the front window
        head_u = centre[0] + 0.45 * (window[:, 0].max() - centre[0])
        _paint(canvas, (u - head_u) ** 2 + (w - centre[1]) ** 2 < 0.08**2, (0.25, 0.12, 0.05))
    r = geometry["wheel"]
    for wu in (0.2, 0.8):
        _paint(canvas, (u - wu) ** 2 + (w - r) ** 2 < r**2, (0.05, 0.05, 0.05))
        _paint(canvas, (u - wu) ** 2 + (w - r) ** 2 < (0.4 * r) ** 2, (0.55, 0.55, 0.55))
    if geometry["spare"]:
        _paint(canvas, (u + 0.01) ** 2 + (w - 0.36) ** 2 < 0.09**2, (0.05, 0.05, 0.05))


@_SEEDED
def make_car_images(
    n_samples=1000, *, image_size=32, car_fraction=0.6, noise=0.05, random_state=None,
    return_tasks=False,
):
    """Generate street-like images with or without a car, and four questions about them.

    Every image has a sky, a ground and zero to three distractors (trees, houses of any
    colour, rocks). A car, when present, is drawn side-on at a random place, size and
    direction; its body type sets its silhouette (a low *berline* with a centred cabin,
    a high *4x4* with big wheels and a spare wheel, an *suv* with a long roof, a short
    *coupe* with a small sloped cabin); a *driver* is a dark head behind the front
    window, two or three pixels across at the default size.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    image_size : int, default=32
        Height and width in pixels.
    car_fraction : float, default=0.6
        Probability that an image shows a car.
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise (values are clipped to [0, 1]).
        The scenes do not depend on it: a given ``random_state`` draws the same scenes
        at any noise, ``noise=0`` without it.
    random_state : int, RandomState instance or None, default=None
        Seed.
    return_tasks : bool, default=False
        Also return the :class:`~sklearn_mtl.Task` list (classes and gates).

    Returns
    -------
    X : ndarray of shape (n_samples, 3, image_size, image_size), dtype float32
        RGB images in [0, 1].
    Y : DataFrame of shape (n_samples, 4)
        String columns ``car`` ("no"/"yes"), ``color`` (red, black, white, blue),
        ``body`` (berline, 4x4, suv, coupe) and ``driver`` ("no"/"yes"); the last three
        are ``<NA>`` (not applicable) where there is no car.
    tasks : list of Task
        Only with ``return_tasks=True``: ``color``, ``body`` and ``driver`` are gated on
        ``car == "yes"``.

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_car_images
    >>> X, Y = make_car_images(4, random_state=0)
    >>> X.shape
    (4, 3, 32, 32)
    >>> Y.columns.tolist()
    ['car', 'color', 'body', 'driver']
    """
    _check_params(n_samples, image_size, noise, min_size=16)
    _check_fraction("car_fraction", car_fraction, high_open=False)
    rng = check_random_state(random_state)
    yy, xx = _grid(image_size)
    car = rng.rand(n_samples) < car_fraction
    colors = np.array(list(CAR_COLORS))[rng.randint(len(CAR_COLORS), size=n_samples)]
    bodies = np.array(list(CAR_BODIES))[rng.randint(len(CAR_BODIES), size=n_samples)]
    drivers = rng.rand(n_samples) < 0.5
    X = np.empty((n_samples, 3, image_size, image_size), dtype=np.float32)
    canvas = np.empty((3, *yy.shape))
    for i in range(n_samples):
        _draw_background(canvas, yy, xx, image_size, rng)
        if car[i]:
            _draw_car(canvas, yy, xx, image_size, colors[i], bodies[i], drivers[i], rng)
        X[i] = _finish(canvas, noise, rng)
    yes_no = np.array(["no", "yes"])
    Y = _labels(
        {"car": yes_no[car.astype(int)], "color": colors, "body": bodies,
         "driver": yes_no[drivers.astype(int)]},
        gated_on=(car, {"color", "body", "driver"}),
    )
    if not return_tasks:
        return X, Y
    gate = ("car", "yes")
    tasks = [
        Task("car", kind="binary", classes=["no", "yes"]),
        Task("color", kind="multiclass", classes=list(CAR_COLORS), gate=gate),
        Task("body", kind="multiclass", classes=list(CAR_BODIES), gate=gate),
        Task("driver", kind="binary", classes=["no", "yes"], gate=gate),
    ]
    return X, Y, tasks


# -------------------------------------------------------------------------- handball
def _figure(canvas, yy, xx, x, feet, size, value):
    """A player: body box and head (one channel)."""
    _paint(canvas, (np.abs(xx - x) < 0.05 * size) & (yy > feet - 0.28 * size) & (yy <= feet),
           (value,))
    _paint(canvas, (xx - x) ** 2 + (yy - (feet - 0.34 * size)) ** 2 < (0.06 * size) ** 2,
           (value,))


def _handball_clip(n_frames, size, event, outcome, hand, pass_type, movement, noise, rng):
    """One clip in "throwing to the right" coordinates; the caller may mirror it."""
    yy, xx = _grid(size)
    floor = rng.uniform(0.86, 0.92) * size
    ball_r = 0.05 * size
    speed = {"running": 0.055, "walking": 0.022, "jumping": 0.0, "standing": 0.0}[movement]
    speed *= size * rng.uniform(0.85, 1.15)
    x_start = rng.uniform(0.10, 0.22) * size
    mate_x = rng.uniform(0.82, 0.9) * size
    release = rng.randint(2, 4)
    hold = {"overhead": 0.44, "shoulder": 0.27, "hip": 0.13}.get(pass_type, 0.21) * size
    dribble = not event and rng.rand() < 0.5
    background = rng.uniform(0.05, 0.15)
    frames = np.empty((n_frames, size, size), dtype=np.float32)
    canvas = np.empty((1, *yy.shape))

    def player(t):
        x = x_start + speed * t
        feet = floor
        if movement == "jumping":
            feet = floor - 0.16 * size * np.sin(np.pi * t / max(n_frames - 1, 1))
        return x, feet

    x_rel, feet_rel = player(release - 1)
    x0, y0 = x_rel + hand * 0.09 * size, feet_rel - hold
    x1, y1 = mate_x - 0.09 * size, floor - 0.21 * size
    if outcome == "out":
        y1 = floor - 0.62 * size  # over the team-mate's head, and on out of the court

    def path(s):
        x = x0 + (x1 - x0) * s
        y = y0 + (y1 - y0) * s
        if pass_type == "bounce" and s <= 1:
            mid = y0 + (y1 - y0) * 0.5
            y += (floor - ball_r - mid) * (1 - abs(2 * s - 1))
        elif pass_type == "lob":
            y -= 0.3 * size * 4 * s * (1 - s)
        return x, y

    for t in range(n_frames):
        canvas[:] = background
        _paint(canvas, yy > floor, (background + 0.12,))
        px, feet = player(t)
        _figure(canvas, yy, xx, px, feet, size, 0.55)
        _figure(canvas, yy, xx, mate_x, floor, size, 0.35)
        if not event or t < release:
            bx, by = px + hand * 0.09 * size, feet - hold
            if dribble:
                by += (floor - ball_r - by) * abs(np.sin(np.pi * t / 4))
        else:
            s = (t - release + 1) / (n_frames - release)
            if pass_type == "wrist":
                s *= 2
            if outcome == "successful":
                bx, by = path(min(s, 1.0))
            elif outcome == "not_successful":
                bx, by = path(min(s, 0.5))
                if s > 0.5:  # dropped: falls to the floor short of the team-mate
                    bx += 0.1 * size * (s - 0.5)
                    by = min(floor - ball_r, by + 1.6 * size * (s - 0.5))
            else:
                bx, by = path(min(s, 1.8))
        _paint(canvas, (xx - bx) ** 2 + (yy - by) ** 2 < ball_r**2, (1.0,))
        frames[t] = _finish(canvas, noise, rng)[0]
    return frames


@_SEEDED
def make_handball_clips(
    n_samples=500, *, n_frames=8, image_size=32, event_fraction=0.7, noise=0.05,
    random_state=None, return_tasks=False,
):
    """Generate short grey-level clips of a handball player, and five questions about them.

    A player (brighter) holds the ball (brightest) on their left or right side, seen
    from behind, and a team-mate (dimmer) waits on the other side of the court. The
    player's motion gives ``movement``: *standing* still, *walking* slowly, *running*
    fast, or *jumping* (rising then landing). When the pass happens (``event``), the ball
    leaves the hand at frame 2 or 3 along the path of its ``pass_type``: held over the
    head then thrown (*overhead*), from the *shoulder*, from the *hip*, bounced on the
    floor (*bounce*), in a high arc (*lob*), or twice as fast (*wrist*). Its
    ``outcome``: *successful* (it stops at the team-mate), *not_successful* (it drops to
    the floor short of them) or *out* (it flies over their head and off the court).
    Without a pass the player keeps the ball, half of the time bouncing it (dribbling).

    Parameters
    ----------
    n_samples : int, default=500
        Number of clips.
    n_frames : int, default=8
        Frames per clip (at least 6).
    image_size : int, default=32
        Height and width of a frame in pixels.
    event_fraction : float, default=0.7
        Probability that the pass happens.
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise. The scenes do not depend on it:
        a given ``random_state`` draws the same scenes at any noise, ``noise=0`` without it.
    random_state : int, RandomState instance or None, default=None
        Seed.
    return_tasks : bool, default=False
        Also return the :class:`~sklearn_mtl.Task` list (classes and gates).

    Returns
    -------
    X : ndarray of shape (n_samples, 1, n_frames, image_size, image_size), dtype float32
        Clips in [0, 1], laid out as (channels, frames, height, width).
    Y : DataFrame of shape (n_samples, 5)
        String columns ``event`` ("no"/"yes"), ``outcome`` (successful,
        not_successful, out), ``hand`` (left, right), ``pass_type`` (shoulder, hip,
        overhead, bounce, lob, wrist) and ``movement`` (running, walking, jumping,
        standing); the last four are ``<NA>`` (not applicable) where no pass happened.
    tasks : list of Task
        Only with ``return_tasks=True``: the last four are gated on ``event == "yes"``.

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_handball_clips
    >>> X, Y = make_handball_clips(3, random_state=0)
    >>> X.shape
    (3, 1, 8, 32, 32)
    >>> Y.columns.tolist()
    ['event', 'outcome', 'hand', 'pass_type', 'movement']
    """
    _check_params(n_samples, image_size, noise, min_size=16)
    _check_int("n_frames", n_frames, 6)
    _check_fraction("event_fraction", event_fraction, high_open=False)
    rng = check_random_state(random_state)
    event = rng.rand(n_samples) < event_fraction
    outcome = np.array(HANDBALL_OUTCOMES)[rng.randint(3, size=n_samples)]
    hand = np.array(["left", "right"])[rng.randint(2, size=n_samples)]
    pass_type = np.array(HANDBALL_PASS_TYPES)[rng.randint(6, size=n_samples)]
    movement = np.array(HANDBALL_MOVEMENTS)[rng.randint(4, size=n_samples)]
    to_left = rng.rand(n_samples) < 0.5
    X = np.empty((n_samples, 1, n_frames, image_size, image_size), dtype=np.float32)
    for i in range(n_samples):
        side = -1 if hand[i] == "left" else 1
        if to_left[i]:  # drawn throwing to the right, then mirrored
            side = -side
        clip = _handball_clip(
            n_frames, image_size, event[i], outcome[i], side,
            pass_type[i] if event[i] else "none", movement[i], noise, rng,
        )
        X[i, 0] = clip[:, :, ::-1] if to_left[i] else clip
    Y = _labels(
        {"event": np.where(event, "yes", "no"), "outcome": outcome, "hand": hand,
         "pass_type": pass_type, "movement": movement},
        gated_on=(event, {"outcome", "hand", "pass_type", "movement"}),
    )
    if not return_tasks:
        return X, Y
    gate = ("event", "yes")
    tasks = [
        Task("event", kind="binary", classes=["no", "yes"]),
        Task("outcome", kind="multiclass", classes=HANDBALL_OUTCOMES, gate=gate),
        Task("hand", kind="binary", classes=["left", "right"], gate=gate),
        Task("pass_type", kind="multiclass", classes=HANDBALL_PASS_TYPES, gate=gate),
        Task("movement", kind="multiclass", classes=HANDBALL_MOVEMENTS, gate=gate),
    ]
    return X, Y, tasks


# ----------------------------------------------------------------------------- leaves
def _leaf_width(crop, u):
    inside = np.clip(1 - u**2, 0, None)
    if crop == "potato":  # broad, oval
        return 0.50 * np.sqrt(inside) * (1 - 0.15 * u)
    if crop == "tomato":  # lobed edge
        return 0.40 * np.sqrt(inside) * (0.75 + 0.4 * np.abs(np.sin(3.5 * np.pi * (u + 1))))
    return 0.27 * np.clip(1 - u, 0, None) ** 0.9 * np.sqrt(np.clip(1 + u, 0, None))  # pepper


_LEAF_GREEN = {"potato": (0.20, 0.44, 0.14), "tomato": (0.30, 0.56, 0.20),
               "pepper": (0.36, 0.66, 0.24)}


@_SEEDED
def make_leaf_images(
    n_samples=600, *, image_size=32, noise=0.04, random_state=None, return_tasks=False,
):
    """Generate images of one leaf each: which crop, and is it healthy?

    The crop sets the leaf's outline and shade (*potato*: broad oval, dark green;
    *tomato*: lobed edge; *pepper*: narrow and pointed, light green) and the health its
    marks (*healthy*: none; *early_blight*: four to eight small dark-brown spots with a
    yellow halo; *late_blight*: one or two large grey-brown patches from the edge). The
    two dimensions are drawn independently; each is exclusive (one crop, one status).
    Leaves are rotated, scaled and placed at random on a neutral background.

    Parameters
    ----------
    n_samples : int, default=600
        Number of images.
    image_size : int, default=32
        Height and width in pixels.
    noise : float, default=0.04
        Standard deviation of the Gaussian pixel noise. The scenes do not depend on it:
        a given ``random_state`` draws the same scenes at any noise, ``noise=0`` without it.
    random_state : int, RandomState instance or None, default=None
        Seed.
    return_tasks : bool, default=False
        Also return the :class:`~sklearn_mtl.Task` list.

    Returns
    -------
    X : ndarray of shape (n_samples, 3, image_size, image_size), dtype float32
        RGB images in [0, 1].
    Y : DataFrame of shape (n_samples, 2)
        String columns ``crop`` (potato, tomato, pepper) and ``health`` (healthy,
        early_blight, late_blight).
    tasks : list of Task
        Only with ``return_tasks=True``.

    Examples
    --------
    >>> from sklearn_mtl.datasets import make_leaf_images
    >>> X, Y = make_leaf_images(2, random_state=0)
    >>> X.shape, Y.columns.tolist()
    ((2, 3, 32, 32), ['crop', 'health'])
    """
    _check_params(n_samples, image_size, noise, min_size=16)
    rng = check_random_state(random_state)
    crops = np.array(LEAF_CROPS)[rng.randint(3, size=n_samples)]
    health = np.array(LEAF_HEALTH)[rng.randint(3, size=n_samples)]
    yy, xx = _grid(image_size)
    size = image_size
    X = np.empty((n_samples, 3, size, size), dtype=np.float32)
    canvas = np.empty((3, *yy.shape))
    for i in range(n_samples):
        canvas[:] = (rng.uniform(0.55, 0.75) + rng.uniform(-0.03, 0.03, 3))[:, None, None]
        cx, cy = size * rng.uniform(0.42, 0.58, 2)
        half = size * rng.uniform(0.36, 0.44)
        angle = rng.uniform(0, 2 * np.pi)
        u = ((xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)) / half
        v = (-(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)) / half
        width = _leaf_width(crops[i], u)
        leaf = (np.abs(u) <= 1) & (np.abs(v) <= width)
        green = np.clip(np.asarray(_LEAF_GREEN[crops[i]]) + rng.uniform(-0.05, 0.05, 3), 0, 1)
        _paint(canvas, (u < -0.95) & (u > -1.3) & (np.abs(v) < 0.035), (0.35, 0.45, 0.2))
        _paint(canvas, leaf, green)
        _paint(canvas, leaf & (np.abs(v) < 0.03) & (np.abs(u) < 0.9), np.minimum(green * 1.35, 1))
        if health[i] == "early_blight":
            for _ in range(rng.randint(4, 9)):
                su = rng.uniform(-0.75, 0.75)
                sv = rng.uniform(-0.6, 0.6) * _leaf_width(crops[i], np.array(su))
                r = rng.uniform(0.06, 0.09)
                d2 = (u - su) ** 2 + (v - sv) ** 2
                _paint(canvas, leaf & (d2 < (1.8 * r) ** 2), (0.78, 0.72, 0.22))
                _paint(canvas, leaf & (d2 < r**2), (0.28, 0.18, 0.07))
        elif health[i] == "late_blight":
            for _ in range(rng.randint(1, 3)):
                su = rng.choice([-1, 1]) * rng.uniform(0.4, 0.8)
                sv = rng.choice([-1, 1]) * _leaf_width(crops[i], np.array(su))
                patch = np.zeros_like(leaf)
                for _ in range(3):
                    du, dv = rng.normal(0, 0.12, 2)
                    r = rng.uniform(0.18, 0.28)
                    patch |= (u - su - du) ** 2 + (v - sv - dv) ** 2 < r**2
                _paint(canvas, leaf & patch, (0.27, 0.25, 0.18) + rng.uniform(-0.03, 0.03, 3))
        X[i] = _finish(canvas, noise, rng)
    Y = _labels({"crop": crops, "health": health})
    if not return_tasks:
        return X, Y
    tasks = [
        Task("crop", kind="multiclass", classes=LEAF_CROPS),
        Task("health", kind="multiclass", classes=LEAF_HEALTH),
    ]
    return X, Y, tasks
