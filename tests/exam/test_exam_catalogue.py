"""Must show 3: every norm, cut-off and MCID in the catalogue carries a citation."""

from __future__ import annotations

import copy
import dataclasses

from groundup.exam.catalogue import CITED_LISTS, load_catalogue, uncited_items


def test_every_norm_cutoff_and_mcid_names_a_known_source() -> None:
    cat = load_catalogue()
    assert uncited_items(cat) == []
    n_cited = 0
    for entry in cat.entries.values():
        for list_name in CITED_LISTS:
            for item in entry.data.get(list_name, []) or []:
                src = cat.sources[item["source"]]
                assert len(src.citation) > 30, f"{entry.key}.{list_name}: citation too short"
                assert src.evidence in ("verified", "secondary")
                n_cited += 1
    assert n_cited >= 40  # the catalogue is not empty: every instrument has its numbers


def test_red_flags_cite_their_source() -> None:
    cat = load_catalogue()
    flags = cat.screening["red_flags"]["flags"]
    assert len(flags) >= 5
    for body in flags.values():
        assert body["source"] in cat.sources


def test_an_uncited_number_is_detected() -> None:
    cat = load_catalogue()
    entries = copy.deepcopy(cat.entries)
    nd = entries["navicular_drop"]
    broken = copy.deepcopy(nd.data)
    broken["cutoffs"].append({"id": "made_up", "value": 12, "unit": "mm", "op": ">"})
    entries["navicular_drop"] = dataclasses.replace(nd, data=broken)
    bad = uncited_items(dataclasses.replace(cat, entries=entries))
    assert bad == ["navicular_drop.cutoffs[1]"]


def test_mcids_of_every_outcome_measure_are_kept_with_sources() -> None:
    cat = load_catalogue()
    for key in ("odi", "rmdq", "pain_nrs", "psfs"):
        mcid = cat.entry(key).items_of("mcid")
        assert mcid, key
        assert all(m["source"] in cat.sources for m in mcid)
