"""The clinical examination: test catalogue, scoring, questionnaires, screening and COP sway.

Entry points: :func:`groundup.exam.scoring.score_exam_file` (exam file -> exam.json document),
:func:`groundup.exam.sway.analyze_cop_recording` (COP recording -> analysis.json document) and the
Typer app :data:`groundup.exam.cli.exam_app` (``groundup exam template|score``).
"""
