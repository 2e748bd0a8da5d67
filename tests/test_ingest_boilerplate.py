"""Boilerplate lines: what is flagged, what is not, and the rules file itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from caacwatch.errors import CaacError
from caacwatch.ingest.boilerplate import default_rules_path, find_boilerplate, load_rules


def kind_of(line: str) -> str | None:
    """The kind of a line standing alone in a paragraph of its own."""
    text = f"An ordinary first paragraph of the article.\n\n{line}\n\nAnother ordinary paragraph."
    found = find_boilerplate(text)
    assert all(text[s:e] == bp.text for bp in found for s, e in [bp.span])
    return next((bp.kind for bp in found if bp.text == line.strip()), None)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("READ MORE", "read_more"),
        ("Read more: Schools reopen in the north", "read_more"),
        ("ALSO READ: Aid convoy reaches the city", "read_more"),
        ("Click here to read the full report", "read_more"),
        ("Related:", "related"),
        ("RELATED: Ceasefire talks stall again", "related"),
        ("You may also like", "related"),
        ("Photos: Life in the camps", "related"),
        ("Advertisement", "advertisement"),
        ("Story continues below advertisement", "advertisement"),
        ("Share this article", "share"),
        ("Follow us on Twitter", "share"),
        ("Facebook Twitter Email", "share"),
        ("Sign up for our daily newsletter", "newsletter"),
        ("Click here to subscribe to our newsletter", "newsletter"),
        ("Image caption, Children queue for water at a camp", "caption"),
        ("Caption: A damaged classroom", "caption"),
        ("Image: Reuters", "image_credit"),
        ("Photo: AFP/Getty Images", "image_credit"),
        ("(Photo by Jane Doe/Getty Images)", "image_credit"),
        ("Getty Images", "image_credit"),
        ("Image source, Getty Images", "image_credit"),
        ("Mohammed Example/AFP via Getty Images", "image_credit"),
        ("REUTERS/Jane Doe", "image_credit"),
        ("Representative image Twitter", "representative_image"),
        ("Representational image", "representative_image"),
        ("Image for representation only", "representative_image"),
        ("(For representational purposes only)", "representative_image"),
        ("File photo: Soldiers at a checkpoint", "representative_image"),
        ("Children at a checkpoint (File photo)", "representative_image"),
        ("© 2024 Example News Network. All rights reserved.", "copyright"),
    ],
)
def test_boilerplate_kinds(line: str, kind: str) -> None:
    assert kind_of(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        # Real sentences that merely mention images, sharing, reading or subscribing.
        "The image of the injured boy was shared widely on social media, officials said.",
        "Photos, videos and witness accounts suggest the school was hit twice.",
        "Images from the scene showed a collapsed classroom and a burned bus.",
        "Read the statement carefully: it does not deny that children were recruited.",
        "Subscribers to the service received an alert about the attack.",
        "More than 40 children were abducted from the school, the governor said.",
        "Related groups have denied any role in the abductions.",
        "Share of children out of school rose to 60 percent, UNICEF said.",
        "The ministry released a file photo of the suspect in 2019, and police said he was armed.",
        "Reuters could not independently verify the report.",
        "AFP reported that at least 12 children were among the dead.",
        "The representative of the armed group denied the accusations in an interview on Monday.",
        "Advertisements calling for volunteers were posted near schools, residents said.",
        "Follow-up visits found that the children had not returned home.",
        # A hard-wrapped continuation line in a transcript.
        "share with you.  That's what I know to be true",
        "Reuters.",
        "Kremlin Established Patriotic Clubs",
    ],
)
def test_real_sentences_are_not_boilerplate(line: str) -> None:
    assert kind_of(line) is None


def test_long_lines_are_never_boilerplate() -> None:
    line = "Read more: " + "the children were taken from the village and " * 10
    assert kind_of(line) is None


def test_caption_above_credit_is_a_caption_but_a_heading_is_not() -> None:
    text = (
        "First paragraph of the article.\n\n"
        "Girls outside a damaged school\n"
        "Photo: Example Agency\n\n"
        "Aid Groups Warn of Shortages\n\n"
        "Second paragraph of the article."
    )
    found = {bp.text: bp.kind for bp in find_boilerplate(text)}
    assert found == {"Girls outside a damaged school": "caption", "Photo: Example Agency": "image_credit"}


def test_spans_are_the_stripped_line() -> None:
    text = "Intro.\r\n\r\n   READ MORE   \r\nBody.\n\tAdvertisement\t\n"
    found = find_boilerplate(text)
    assert [(bp.text, bp.kind) for bp in found] == [("READ MORE", "read_more"), ("Advertisement", "advertisement")]
    for bp in found:
        assert text[bp.span[0] : bp.span[1]] == bp.text


_LINES = st.sampled_from(
    ["READ MORE", "Image: Reuters", "Representative image Twitter", "Children with arms", "", "  ",
     "Share this article", "A sentence about the attack.", "Advertisement", "Photo: AFP", "\t"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINES, st.text(max_size=40)), max_size=30), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_spans_always_index_the_text(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    for bp in find_boilerplate(text):
        start, end = bp.span
        assert 0 <= start < end <= len(text)
        assert text[start:end] == bp.text
        assert bp.text == bp.text.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_find_boilerplate_never_crashes(text: str) -> None:
    for bp in find_boilerplate(text):
        assert text[bp.span[0] : bp.span[1]] == bp.text


# --- the rules file --------------------------------------------------------------------------
def test_rules_file_is_versioned_and_commented() -> None:
    raw = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    assert raw["version"] == 1
    expected = {"read_more", "related", "advertisement", "share", "newsletter", "caption", "image_credit",
                "representative_image"}
    assert expected <= set(raw["kinds"])
    for spec in raw["kinds"].values():
        for entry in spec["patterns"]:
            assert entry["comment"].strip()
    assert load_rules().version == 1


def _write_rules(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content",
    [
        {"version": 2, "kinds": {"x": {"patterns": [{"pattern": "a", "comment": "c"}]}}},
        {"version": 1, "kinds": {}},
        {"version": 1, "kinds": {"x": {"patterns": [{"pattern": "(", "comment": "bad regex"}]}}},
        {"version": 1, "kinds": {"x": {"patterns": [{"pattern": "a"}]}}},
        ["not", "a", "mapping"],
    ],
    ids=["version", "no-kinds", "bad-regex", "no-comment", "not-mapping"],
)
def test_invalid_rules_are_reported(tmp_path: Path, content: object) -> None:
    with pytest.raises(CaacError) as info:
        load_rules(_write_rules(tmp_path, content))
    assert info.value.code == "E202"


def test_analyst_rules_extend_the_detector(tmp_path: Path) -> None:
    path = _write_rules(tmp_path, {
        "version": 1,
        "kinds": {"podcast": {"patterns": [{"pattern": "^listen to our podcast", "comment": "promo"}]}},
    })
    rules = load_rules(path)
    found = find_boilerplate("Body.\n\nListen to our podcast\n\nMore body.", rules)
    assert [(bp.text, bp.kind) for bp in found] == [("Listen to our podcast", "podcast")]
