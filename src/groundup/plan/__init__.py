"""Treatment plans: exercise library (data), plan builder, progression at follow-up.

``plan_visit(analysis, exam, previous)`` runs the whole pipeline (findings, chain inference,
plan) in-process and returns ``(chain, plan)`` documents; see docs/chain-and-plan.md.
"""

from groundup.plan.build import plan_visit

__all__ = ["plan_visit"]
