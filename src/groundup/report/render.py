"""Render the visit report: clinician report (HTML + PDF) and patient handout (PDF).

Entry point: :func:`render_visit_report`. It reads the JSON documents of a visit (one or more
analysis.json, exam.json, chain.json, plan.json; any of them may be missing), builds the
sections with every number tagged by its JSON path (see :mod:`groundup.report.numbers`), draws
the plots with matplotlib (each once, at its printed size) and prints both PDFs with WeasyPrint,
each in a child process, beside each other (:mod:`groundup.report.pdf`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from groundup import __version__
from groundup.errors import GroundUpError
from groundup.report import pdf
from groundup.report.exam_section import (
    collect_citations,
    exam_domains,
    outcome_chart,
    outcome_rows,
)
from groundup.report.gait_section import attach_key_frames, gait_blocks
from groundup.report.handout import handout_context
from groundup.report.held import writes_held
from groundup.report.keyframes import prepare_key_frames
from groundup.report.labels import humanize
from groundup.report.model import KeyFrame, ReportFiles
from groundup.report.numbers import num
from groundup.report.pdf import Printers, start_printers
from groundup.report.pdf_parts import CUT, PAGES, ReportPdf
from groundup.report.plots import FIGURE_WIDTH_MM
from groundup.report.reasoning_section import chain_view, plan_view

ASSETS_DIRNAME = "report_files"
MAX_SUMMARY_FINDINGS = 12
MAX_SUMMARY_DEVIATIONS = 3
MAX_SUMMARY_PROBLEMS = 5
# The key frames of a report, or a function that makes them (called when they are needed).
KeyFrames = list[KeyFrame] | Callable[[], list[KeyFrame]] | None


# Estimated printed height of an exam test, in lines of its half-page column: what the two
# columns of an exam domain are balanced by (a text line holds about this many characters).
_CHARS_PER_LINE = 55
_LINES_PER_COMPARISON = 2.5


def _test_lines(test: dict[str, Any]) -> float:
    def text_lines(texts: list[str]) -> float:
        return sum(1 + len(str(t)) // _CHARS_PER_LINE for t in texts)

    lines = 2.0 + len(test.get("rows") or []) + (1 if test.get("sided") else 0)
    comparisons = test.get("comparisons") or []
    if comparisons:
        lines += 1 + _LINES_PER_COMPARISON * len(comparisons)
    lines += text_lines(test.get("findings") or []) + text_lines(test.get("warnings") or [])
    lines += text_lines(test.get("errors") or [])
    lines += text_lines(["; ".join(test.get("accuracy") or [])] if test.get("accuracy") else [])
    lines += text_lines([test["interpretation"]] if test.get("interpretation") else [])
    return lines


def two_columns(tests: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tests of an exam domain in two columns of about equal height, in order (the first
    column read first), as a multi-column layout would set them; the report places the two
    columns in one table row, which lays out in one pass (a CSS multi-column flow is laid out
    again and again to balance its columns: most of the PDF's time went there)."""
    heights = [_test_lines(t) for t in tests]
    total = sum(heights)
    best_k, best_gap, upto = len(tests), total, 0.0
    for k in range(len(tests) + 1):
        gap = abs(total - 2 * upto)
        if gap < best_gap:
            best_k, best_gap = k, gap
        if k < len(tests):
            upto += heights[k]
    return tests[:best_k], tests[best_k:]


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("groundup.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["humanize"] = humanize
    env.filters["two_columns"] = two_columns
    env.globals["num"] = num
    env.globals["figure_width_mm"] = FIGURE_WIDTH_MM
    env.globals["print_cut"] = Markup(CUT)
    env.globals["print_pages"] = Markup(PAGES)
    return env


def _not_assessed(
    analyses: list[dict[str, Any]],
    exam: dict[str, Any] | None,
    chain: dict[str, Any] | None,
    plan: dict[str, Any] | None,
    key_frames: list[KeyFrame] | None,
) -> tuple[list[str], list[str]]:
    """(assessed, not assessed) in words, for the summary and the CLI."""
    assessed, missing = [], []
    walking = [a for a in analyses if a.get("spatiotemporal")]
    if walking:
        kinds = sorted({(a.get("source") or {}).get("kind", "?") for a in walking})
        assessed.append(f"gait: {len(walking)} walking recording(s) ({', '.join(kinds)})")
        if any(a.get("curves") for a in walking):
            assessed.append("joint-angle curves against normative bands")
        else:
            missing.append("joint-angle curves (no normalised curves in the gait analysis)")
        if not key_frames:
            missing.append("key frames (no video frames given)")
    else:
        missing.append("gait (no walking recording analysed)")
    if any(a.get("sway") for a in analyses):
        assessed.append("standing balance on a force plate (COP sway)")
    if exam is not None:
        tests = exam.get("tests") or {}
        questionnaires = exam.get("questionnaires") or {}
        assessed.append(
            f"clinical exam: {len(tests)} test(s), {len(questionnaires)} questionnaire(s)"
        )
        na = exam.get("not_assessed") or {}
        na_items = [*na.get("tests", []), *na.get("questionnaires", [])]
        if na_items:
            missing.append("exam items not done: " + ", ".join(humanize(t) for t in na_items))
        flags = (exam.get("screening") or {}).get("red_flags") or {}
        if flags.get("not_asked"):
            missing.append(
                "red flags not asked: " + ", ".join(humanize(f) for f in flags["not_asked"])
            )
    else:
        missing.append("clinical exam, questionnaires and red-flag screening (no exam given)")
    if chain is None:
        missing.append("kinetic-chain reasoning (no chain.json)")
    if plan is None:
        missing.append("treatment plan (no plan.json)")
    return assessed, missing


def _key_findings(exam: dict[str, Any] | None, gait: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flagged gait measures first (spatiotemporal, then the largest curve deviations), then the
    exam's flagged findings in the exam's order. A recording whose joint-angle checks were made
    and none flagged (spatiotemporal values included) says so in one line marked
    ``within_norm``: a healthy walker's report says the gait is within normal limits."""
    findings: list[dict[str, Any]] = []
    for block in gait:
        curves_checked = (block.get("curves") or {}).get("n_checked") or 0
        if (
            curves_checked
            and not (block.get("curves") or {}).get("deviations")
            and not any(row["flag"] for row in block["spatiotemporal"])
        ):
            findings.append(
                {
                    "region": "Gait",
                    "text": Markup(
                        "within normal limits: none of the {} joint-angle checks at key instants "
                        "lies beyond the reference band plus the measurement error"
                    ).format(curves_checked),
                    "within_norm": True,
                }
            )
        for row in block["spatiotemporal"]:
            if row["flag"]:
                findings.append(
                    {
                        "region": "Gait",
                        "text": Markup("{}: {} {} – {} ({})").format(
                            row["label"], row["both"], row["unit"], row["comparison"], row["norm"]
                        ),
                    }
                )
        curves = block.get("curves") or {}
        deviations = sorted(curves.get("deviations", []), key=lambda d: -d["abs_z"])
        for dev in deviations[:MAX_SUMMARY_DEVIATIONS]:
            findings.append({"region": "Gait curves", "text": dev["summary"]})
        if len(deviations) > MAX_SUMMARY_DEVIATIONS:
            findings.append(
                {
                    "region": "Gait curves",
                    "text": Markup("{} more flagged curve deviation(s) in section 2").format(
                        len(deviations) - MAX_SUMMARY_DEVIATIONS
                    ),
                }
            )
    tests = (exam or {}).get("tests") or {}
    questionnaires = (exam or {}).get("questionnaires") or {}
    for f in (exam or {}).get("findings") or []:
        if f.get("flag", True):
            test = f.get("test")
            domain = (tests.get(test) or questionnaires.get(test) or {}).get("domain", "")
            findings.append({"region": humanize(domain or "exam"), "text": f.get("text", "")})
    return findings


def _problems_top(chain_v: dict[str, Any] | None) -> list[dict[str, Any]]:
    return (chain_v or {}).get("problems", [])[:MAX_SUMMARY_PROBLEMS]


def _quality_notes(
    analyses: list[dict[str, Any]],
    exam: dict[str, Any] | None,
    extra: list[str],
    deidentify: bool,
) -> list[dict[str, str]]:
    from groundup.report.gait_section import recording_title

    notes = []
    for i, analysis in enumerate(analyses):
        where = recording_title(i, analysis, deidentify)
        for w in (analysis.get("quality") or {}).get("warnings") or []:
            notes.append(
                {"where": where, "code": w.get("code", ""), "message": w.get("message", "")}
            )
        for w in (analysis.get("curves") or {}).get("quality") or []:
            notes.append(
                {
                    "where": f"{where}, curves",
                    "code": w.get("code", ""),
                    "message": w.get("message", ""),
                }
            )
    for w in (exam or {}).get("warnings") or []:
        notes.append(
            {
                "where": f"exam: {humanize(w.get('test', ''))}",
                "code": w.get("code", ""),
                "message": w.get("message", ""),
            }
        )
    for e in (exam or {}).get("errors") or []:
        notes.append(
            {
                "where": f"exam input: {e.get('field', '')}",
                "code": "input_error",
                "message": f"{e.get('message', '')} (expected {e.get('expected', '')})",
            }
        )
    for text in extra:
        notes.append({"where": "key frames", "code": "key_frame", "message": text})
    return notes


def _references(
    exam: dict[str, Any] | None,
    norm_sources: list[dict[str, Any]],
    chain: Any,
    plan: Any,
    analyses: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    refs: dict[str, dict[str, Any]] = {}
    for src in norm_sources:
        refs[src["key"]] = src
    for analysis in analyses:
        reference = (analysis.get("curves") or {}).get("reference") or {}
        if reference.get("citation"):
            refs.setdefault(
                str(reference.get("dataset", "curves")).lower(),
                {
                    "key": str(reference.get("dataset", "curves")).lower(),
                    "citation": f"{reference['citation']} Normative curves, licence "
                    f"{reference.get('licence', 'not stated')}.",
                    "evidence": "verified",
                },
            )
    for doc in (exam, chain, plan):
        if doc:
            for key, cite in collect_citations(doc).items():
                refs.setdefault(key, cite)
    return sorted(refs.values(), key=lambda r: r["key"])


def _visit_label(exam_date: Any) -> str:
    """The visit's words in the report's title and running header."""
    return f"exam {exam_date}" if exam_date else f"rendered {date.today().isoformat()}"


def _remove_old_plots(assets: Path) -> None:
    """Plots and key frames of an earlier rendering into the same folder must not linger."""
    if assets.is_dir():
        for old in [*assets.glob("*.png"), *assets.glob("*.jpg")]:
            old.unlink()


def build_context(
    out_dir: Path,
    *,
    analyses: list[dict[str, Any]],
    exam: dict[str, Any] | None,
    chain: dict[str, Any] | None,
    plan: dict[str, Any] | None,
    key_frames: KeyFrames,
    deidentify: bool,
    remove_old_plots: bool = True,
) -> dict[str, Any]:
    """The report template's context; ``key_frames`` may be a function that gives them (made
    in another thread meanwhile): it is called last, once every plot is drawn."""
    assets = out_dir / ASSETS_DIRNAME
    if remove_old_plots:
        _remove_old_plots(assets)
    gait, norm_sources = gait_blocks(analyses, exam, assets, deidentify, {})
    outcomes = outcome_rows(exam) if exam else []
    chart = outcome_chart(outcomes, assets) if outcomes else None
    domains = exam_domains(exam) if exam else []
    chain_v = chain_view(chain) if chain else None
    plan_v = plan_view(plan) if plan else None
    references = _references(exam, norm_sources, chain, plan, analyses)
    given = key_frames() if callable(key_frames) else key_frames
    by_source, frame_notes = prepare_key_frames(given, assets, deidentify)
    attach_key_frames(gait, len(analyses), by_source)
    assessed, missing = _not_assessed(analyses, exam, chain, plan, given)
    pathway = (exam or {}).get("pathway")
    red_flags = ((exam or {}).get("screening") or {}).get("red_flags") or {}
    warning_signs = ((exam or {}).get("screening") or {}).get("warning_signs") or {}
    findings = _key_findings(exam, gait)
    return {
        "version": __version__,
        "exam_date": (exam or {}).get("exam_date"),
        "visit_label": _visit_label((exam or {}).get("exam_date")),
        "patient": (exam or {}).get("patient") or {},
        "deidentify": deidentify,
        "assets": ASSETS_DIRNAME,
        "assessed": assessed,
        "not_assessed": missing,
        "pathway": pathway,
        "red_flags_present": red_flags.get("present") or [],
        "red_flags_not_asked": red_flags.get("not_asked") or [],
        "warning_signs": warning_signs.get("present") or [],
        "key_findings": findings[:MAX_SUMMARY_FINDINGS],
        "more_findings": max(0, len(findings) - MAX_SUMMARY_FINDINGS),
        "gait": gait,
        "exam": exam is not None,
        "domains": domains,
        "outcomes": outcomes,
        "outcome_chart": chart,
        "chain": chain_v,
        "plan": plan_v,
        "quality": _quality_notes(analyses, exam, frame_notes, deidentify),
        "references": references,
        "problems_top": _problems_top(chain_v),
        "more_problems": max(0, len((chain_v or {}).get("problems", [])) - MAX_SUMMARY_PROBLEMS),
    }


def render_visit_report(
    out_dir: Path,
    *,
    analyses: list[dict[str, Any]],
    exam: dict[str, Any] | None,
    chain: dict[str, Any] | None,
    plan: dict[str, Any] | None,
    key_frames: KeyFrames = None,
    deidentify: bool = True,
    printers: Printers | None = None,
) -> ReportFiles:
    """Write out_dir/report.html, report.pdf and handout.pdf (plots in out_dir/report_files/).

    Any input may be missing; the report then says what was not assessed. With ``deidentify``
    (the default) faces on key frames are blurred, frames whose face cannot be located are left
    out, and recording file names are not shown.
    """
    if not analyses and exam is None and chain is None and plan is None:
        raise GroundUpError(
            "There is nothing to report: no analysis, exam, chain or plan was given.",
            "Run `groundup analyze` on a recording and/or `groundup exam score` on an exam"
            " file first.",
        )
    out_dir = Path(out_dir)
    # Both PDFs are printed by child processes (:func:`start_printers`), beside whatever else
    # runs in this one. The printers start now, or at the start of the visit where the caller
    # started them: they import WeasyPrint meanwhile. The report's HTML goes first: its layout
    # (about 2 s, the longest piece) starts as soon as possible; the handout's HTML is made
    # here meanwhile. (With one child for both, the handout would go first.)
    report_printer, handout_printer = printers or start_printers()
    handout_first = pdf.ONE_PRINTER_PROCESS
    report_pdf: ReportPdf | None = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_old_plots(out_dir / ASSETS_DIRNAME)
        handout_path = out_dir / "handout.pdf"

        def print_handout() -> None:
            hctx = handout_context(
                exam=exam, chain=chain, plan=plan, assets_dir=out_dir / ASSETS_DIRNAME
            )
            html = _env().get_template("handout.html.j2").render(assets=ASSETS_DIRNAME, **hctx)
            handout_printer.start(html, out_dir, handout_path)

        if handout_first:
            print_handout()
        # The report's HTML goes to its printer before its plots and key frames are saved: the
        # printer reads and styles it (about 0.35 s) while they are saved here (about 0.3 s).
        with writes_held() as save_images:
            ctx = build_context(
                out_dir,
                analyses=analyses,
                exam=exam,
                chain=chain,
                plan=plan,
                key_frames=key_frames,
                deidentify=deidentify,
                remove_old_plots=False,
            )
            report_html = _env().get_template("report.html.j2").render(**ctx)
            margins_html = _env().get_template("report_margins.html.j2").render(**ctx)
            pdf_path = out_dir / "report.pdf"
            # Laid out in two parts by the two printers at once where they are two processes
            # (pdf_parts): the second part before the handout, whose HTML is made below.
            report_pdf = ReportPdf(report_printer, handout_printer, out_dir, pdf_path)
            report_pdf.start(report_html, margins_html)
            save_images()
        report_pdf.images_ready()
        html_path = out_dir / "report.html"
        tmp = html_path.with_name(".report.html.tmp")
        tmp.write_text(report_html, encoding="utf-8")
        tmp.replace(html_path)
        if not handout_first:
            print_handout()
        handout_printer.wait()
        report_pdf.wait()
    except OSError as exc:
        raise GroundUpError(
            f"Cannot write the report to {out_dir}: {exc.strerror or exc}.",
            "Check that the folder exists, is writable and the disk is not full.",
        ) from exc
    finally:
        report_printer.close()
        handout_printer.close()
        if report_pdf is not None:
            report_pdf.discard()
    assets = (
        sorted((out_dir / ASSETS_DIRNAME).glob("*")) if (out_dir / ASSETS_DIRNAME).is_dir() else []
    )
    return ReportFiles(
        html=html_path,
        pdf=pdf_path,
        handout_pdf=handout_path,
        assets=assets,
        not_assessed=ctx["not_assessed"],
    )
