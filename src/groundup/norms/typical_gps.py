"""The Gait Profile Score of typical adults, from the normative subjects themselves (leave-one-out).

Baker et al. (2009, Gait Posture 30:265-269) define the GPS as the RMS of the Gait Variable Scores;
what a *typical* GPS is depends on the reference group. Here it is measured on the 24 healthy
adults of the adult reference (WBDS, Fukuchi et al. 2018, per-subject 51-point curves): each
subject's GVS against the mean curve of the OTHER 23 subjects (so no subject is compared with a
mean that contains itself), then the GPS of each subject. The subjects have one (right) limb
each; the three GPS kinds are formed as for a patient (:mod:`groundup.norms.curves`):

- ``left`` (9 variables: 3 pelvic + 6 limb), ``right`` (the 6 limb variables),
- ``overall`` (15: the 3 pelvic variables once and the 6 limb variables of both sides, the
  subject's one limb standing for both).

The typical range is stored in ``knowledge/norms/adult_typical_gps.yaml`` with the numbers it
came from; ``tests/curves`` recomputes it from the per-subject file and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PELVIC = ("pelvis_tilt", "pelvis_obliquity", "pelvis_rotation")
LIMB = (
    "hip_flexion",
    "hip_adduction",
    "hip_rotation",
    "knee_flexion",
    "ankle_dorsiflexion",
    "foot_progression",
)
GPS_VARIABLES = PELVIC + LIMB


@dataclass(frozen=True)
class LeaveOneOutGps:
    """Per-subject GPS of each kind and its summary."""

    per_subject: dict[str, np.ndarray]

    def summary(self, kind: str, upper_sd: float) -> dict[str, float | int]:
        values = self.per_subject[kind]
        mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
        return {
            "n_subjects": int(values.size),
            "mean_deg": round(mean, 3),
            "sd_deg": round(sd, 3),
            "min_deg": round(float(np.min(values)), 3),
            "max_deg": round(float(np.max(values)), 3),
            "upper_limit_deg": round(mean + upper_sd * sd, 3),
        }


def leave_one_out_gps(subject_curves: dict[str, np.ndarray]) -> LeaveOneOutGps:
    """GPS of every subject against the mean of the others.

    ``subject_curves``: GroundUp variable name -> array (subjects, 51 points at 0, 2, ..., 100 %)
    for the nine GPS variables.
    """
    missing = [v for v in GPS_VARIABLES if v not in subject_curves]
    if missing:
        raise ValueError(f"per-subject curves lack {', '.join(missing)}")
    stack = np.stack([np.asarray(subject_curves[v], dtype=float) for v in GPS_VARIABLES], axis=1)
    n = stack.shape[0]
    if n < 3:
        raise ValueError("leave-one-out needs at least 3 subjects")
    total = stack.sum(axis=0)
    gvs = np.empty((n, len(GPS_VARIABLES)))
    for i in range(n):
        others_mean = (total - stack[i]) / (n - 1)
        gvs[i] = np.sqrt(np.mean((stack[i] - others_mean) ** 2, axis=1))
    pelvic_sq = np.sum(gvs[:, : len(PELVIC)] ** 2, axis=1)
    limb_sq = np.sum(gvs[:, len(PELVIC) :] ** 2, axis=1)
    n_limb, n_pel = len(LIMB), len(PELVIC)
    return LeaveOneOutGps(
        per_subject={
            "left": np.sqrt((pelvic_sq + limb_sq) / (n_pel + n_limb)),
            "right": np.sqrt(limb_sq / n_limb),
            "overall": np.sqrt((pelvic_sq + 2.0 * limb_sq) / (n_pel + 2 * n_limb)),
        }
    )
