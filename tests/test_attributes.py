from __future__ import annotations

import pytest

from redactor import attributes as A
from redactor.errors import UsageError


def test_vispr_table_has_68_in_dataset_order():
    assert A.NUM_VISPR == 68
    assert A.VISPR_IDS[0] == "a0_safe"
    # The data set's order is not the numeric order of the ids.
    assert A.VISPR_IDS[47:50] == (
        "a70_education_history",
        "a99_legal_involvement",
        "a64_rel_personal",
    )
    assert A.VISPR_IDS[-1] == "a104_license_plate_partial"
    assert [a.index for a in A.VISPR_ATTRIBUTES] == list(range(68))
    assert len(set(A.VISPR_IDS)) == 68


def test_mask_types_follow_paper_table_1():
    by = A.BY_ID
    for unmasked in (
        "a0_safe",
        "a30_credit_card",
        "a33_student_id",
        "a38_ticket",
        "a99_legal_involvement",
    ):
        assert by[unmasked].mask_type == "none"
    for human in (
        "a1_age_approx",
        "a2_weight_approx",
        "a5_eye_color",
        "a12_semi_nudity",
        "a16_race",
    ):
        assert by[human].mask_type == "human"
    for text in (
        "a19_name_full",
        "a23_birth_city",
        "a26_handwriting",
        "a27_marital_status",
        "a24_birth_date",
    ):
        assert by[text].mask_type == "text"


def test_resolve_aliases_ids_and_short_ids():
    assert A.resolve(["face"]) == {"a9_face_complete", "a10_face_partial"}
    assert A.resolve(["a90_email", "phone"]) == {"a90_email", "a49_phone"}
    assert A.resolve(["Face_Complete"]) == {"a9_face_complete"}
    assert A.resolve(["all"], all_covered=["a90_email"]) == {"a90_email"}
    assert A.split_names(" face, name ,,") == ["face", "name"]


def test_unknown_name_lists_valid_ones():
    with pytest.raises(UsageError) as info:
        A.resolve(["face", "fingerprints!"])
    message = str(info.value)
    assert "fingerprints!" in message and "face" in message and "email" in message


def test_every_alias_names_known_attributes():
    for alias, ids in A.ALIASES.items():
        assert ids, alias
        assert all(i in A.BY_ID for i in ids), alias
    for alias in A.DEFAULT_HIDE:
        assert alias in A.ALIASES


def test_parse_hide_is_one_parser_for_every_front_end():
    # Nothing, or only "defaults": the front end's default (None: the pipeline's).
    for nothing in (None, "", [], [""], "defaults", ["defaults", " defaults "]):
        assert A.parse_hide(nothing) is None
        assert A.parse_hide(nothing, ("face",)) == ("face",)
    # "defaults" beside other names stands for that default: the bug was `serve --hide
    # defaults,nudity` passing "defaults" on as an attribute name.
    assert A.parse_hide("defaults,nudity") == (*A.DEFAULT_HIDE, "nudity")
    assert A.parse_hide("nudity, Defaults", ("face",)) == ("nudity", "face")
    assert A.parse_hide(["face,name", "plate"]) == ("face", "name", "plate")  # repeated ?hide=
    resolved = A.resolve(A.parse_hide("defaults,nudity"))
    assert resolved == A.resolve(A.DEFAULT_HIDE) | A.resolve(["nudity"])
