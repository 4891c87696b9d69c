"""Exercise ids the exercise-library issue names: the library must hold each, and the handout
must have a drawing for each (used by tests/chain and tests/report)."""

REQUIRED_EXERCISES: tuple[str, ...] = (
    "short_foot",
    "toe_yoga",
    "towel_curls",
    "heel_raise",
    "single_leg_balance",
    "clamshell",
    "side_lying_hip_abduction",
    "glute_bridge",
    "dead_bug",
    "bird_dog",
    "side_plank",
    "mcgill_curl_up",
    "gait_retraining",
    "ankle_mobility",
)
