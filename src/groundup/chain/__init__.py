"""Kinetic-chain reasoning: findings from gait and exam, rules as data, links with confidence.

``findings_from_analysis`` and ``findings_from_exam`` turn GroundUp's JSON outputs into one list
of :class:`~groundup.chain.findings.Finding`; ``infer_chain`` applies the rule knowledge base
(``knowledge/chain/rules.yaml``) and returns the chain.json document. See docs/chain-and-plan.md.
"""

from groundup.chain.extract import findings_from_analysis, findings_from_exam
from groundup.chain.findings import Finding
from groundup.chain.inference import infer_chain

__all__ = ["Finding", "findings_from_analysis", "findings_from_exam", "infer_chain"]
