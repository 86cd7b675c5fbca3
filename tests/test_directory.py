"""The directory file: what a team writes, and the clear errors it gets."""

from __future__ import annotations

import pytest

from chalicelib.desk.directory import DirectoryError, parse_directory
from tests.conftest import ROOT


def test_sample_directory_parses() -> None:
    d = parse_directory((ROOT / "devstack" / "directory.toml").read_text())
    assert d.member_by_slack("U0HERO1") is not None and d.member_by_slack("U0HERO1").name == "Ada Hero"  # type: ignore[union-attr]
    assert d.customer_for_channel("C0ACME").tier == "enterprise"  # type: ignore[union-attr]
    assert d.is_community_channel("C0COMMUNITY") and not d.is_community_channel("C0ACME")
    assert d.settings.priority_for("enterprise") == "high"
    assert d.settings.priority_for(None) == "normal"


MEMBER = '[[members]]\nid = "a"\nname = "A"\navatar_url = "https://x/a.png"\nslack_user_id = "U1"\n'


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not = [valid", "not valid TOML"),
        ('[[members]]\nid = "a"\navatar_url = "x"\n', "'name' is required"),
        ('[[members]]\nid = "a"\nname = "A"\n', "'avatar_url' is required"),
        (MEMBER + MEMBER, "duplicate member id"),
        (MEMBER + MEMBER.replace('id = "a"', 'id = "b"'), "listed twice"),
        ('[[customers]]\nid = "c"\nname = "C"\ntier = "gold"\n', "unknown tier 'gold'"),
        ('[[customers]]\nid = "c"\nname = "C"\ntier = "scale"\nslack_channels = "C1"\n', "list of strings"),
        ('[team.priorities]\nenterprise = "asap"\n', "unknown priority"),
        ('[team.priorities]\nplatinum = "high"\n', "unknown tier"),
        ('[[customers]]\nid = "c"\nname = "C"\ntier = "scale"\nslack_channels = ["C1"]\n'
         '[[customers]]\nid = "d"\nname = "D"\ntier = "scale"\nslack_channels = ["C1"]\n', "already belongs"),
        ('[[customers]]\nid = "c"\nname = "C"\ntier = "scale"\nslack_channels = ["C1"]\n'
         '[[community_channels]]\nid = "C1"\n', "also a customer's"),
    ],
)
def test_invalid_directories_say_what_is_wrong(text: str, error: str) -> None:
    with pytest.raises(DirectoryError, match=error):
        parse_directory(text)


def test_round_trip_through_storage_rows() -> None:
    from chalicelib.desk.directory import Directory

    d = parse_directory((ROOT / "devstack" / "directory.toml").read_text())
    assert Directory.from_items(d.to_items()) == d


def test_load_directory_replaces_and_cli_reports(stack: object, tmp_path: object) -> None:
    import pathlib

    from chalicelib.cli import main

    assert isinstance(tmp_path, pathlib.Path)
    small = tmp_path / "d.toml"
    small.write_text(MEMBER)
    assert main(["load-directory", str(small)]) == 0
    assert main(["create-token", "--member", "nobody"]) == 2
    assert main(["create-token", "--member", "a"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[[members]]\n")
    assert main(["load-directory", str(bad)]) == 2
