"""A camera view given with ``--view`` is checked against the keypoints before it is used.

The view decides which angles are measured: a side-view clip analysed as a rear view gives a
"pelvic drop" of tens of degrees (the pelvis's forward tilt seen as sideways tilt) and findings
and exercises built on it. So the view is detected from the keypoints as when none is given
(:func:`groundup.keypoints.view.detect_view`: shoulder and hip widths against body height, and
the left/right order); where the detection is clear (not an oblique view) and contradicts the
given view, the detected view is used and a quality warning says so. Where the keypoints are
ambiguous (oblique) or cannot tell, the user's view stands.
"""

from __future__ import annotations

from groundup.errors import GroundUpError, QualityIssue
from groundup.trial import Trial


def checked_view(trial: Trial, given: str | None) -> tuple[str | None, list[QualityIssue]]:
    """The view to analyse ``trial`` with, and the warning when ``given`` was overruled."""
    if given is None:
        return None, []
    from groundup.keypoints.cleaning import clean_keypoints
    from groundup.keypoints.view import detect_view

    try:
        cleaned, _report = clean_keypoints(trial)
        detected = detect_view(cleaned, None)
    except GroundUpError:
        return given, []  # the keypoints cannot tell: the user's view stands
    oblique = any(q.code == "oblique_view" for q in detected.quality)
    if oblique or detected.view == given:
        return given, []
    ratio = detected.width_ratio
    why = (
        f"shoulder + hip width {ratio:.2f} body heights"
        if ratio is not None and (given == "sagittal") != (detected.view == "sagittal")
        else "the left and right sides are on the other sides of the picture"
    )
    return detected.view, [
        QualityIssue(
            "view_contradicted",
            f"--view {given} was given, but the keypoints show a {detected.view} view ({why}); "
            f"the clip was analysed as {detected.view}, so no measure of the other view is "
            "built on it. Check the clip; if the view is really as given, re-film straight "
            "from the side or from behind.",
        )
    ]
