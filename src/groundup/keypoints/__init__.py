"""2-D keypoints (video, OpenPose, Pose2Sim/Sports2D TRC) through GroundUp's one gait pipeline.

``analyze_keypoints(trial, view=None, height_m=None)`` cleans the keypoints
(:mod:`~groundup.keypoints.cleaning`), finds the view and walking direction
(:mod:`~groundup.keypoints.view`), then runs the same event and spatiotemporal code as lab
recordings (:func:`groundup.gait.analysis.analyze_gait`) and adds the video metrics
(:mod:`~groundup.keypoints.angles`, :mod:`~groundup.keypoints.metrics`). See docs/video-gait.md.
"""
