"""The data checks before a render are cached by the content hash of what they checked."""

from __future__ import annotations

import pytest

from csdemand.core import paths
from csdemand.published.areas import resolve
from csdemand.render import batch, checks, fingerprint
from csdemand.validation import checks as validation

MANCHESTER = resolve("352")
EXTRACT = paths.data_dir() / "local" / "referrals_352-manchester_synthetic.csv"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A private cache, a data config naming a small copy of Manchester's referrals extract, and
    a record of what validate_all was asked to check."""
    monkeypatch.setenv("CSDEMAND_CACHE", str(tmp_path / "cache"))
    extract = tmp_path / "referrals_352-manchester.csv"
    extract.write_text("".join(EXTRACT.open().readlines()[:400]))
    config = tmp_path / "data.yml"
    config.write_text(
        f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n"
    )
    monkeypatch.setenv("CSDEMAND_CONFIG", str(config))
    calls: list[list[tuple[int, list[str]]]] = []
    real = validation.validate_all

    def spy(config=None, las=None, **kw):
        calls.append([(a.la_number, sorted(config["tables"])) for a in las])
        return real(config=config, las=las, **kw)

    monkeypatch.setattr(validation, "validate_all", spy)
    referrals = [b for b in batch.discover() if b.name == "referrals"]
    return extract, calls, referrals


def test_a_clean_source_is_checked_once_and_a_changed_file_is_checked_again(setup):
    extract, calls, referrals = setup
    assert batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None) == {}
    assert calls == [[(352, ["referrals"])]]
    assert checks.cache_file().is_file()
    assert batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None) == {}
    assert len(calls) == 1  # nothing checked: the same content, code and day passed before
    lines = extract.read_text().splitlines()
    extract.write_text("\n".join(lines[:-1]) + "\n")  # one referral fewer: another file
    assert batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None) == {}
    assert calls[1] == [(352, ["referrals"])]


def test_recheck_checks_a_source_that_passed(setup):
    _, calls, referrals = setup
    batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None)
    batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None, recheck=True)
    assert len(calls) == 2


def test_a_verdict_is_not_trusted_across_code_versions_or_days(setup, monkeypatch):
    _, calls, referrals = setup
    batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None)
    monkeypatch.setattr(fingerprint, "package_digest", lambda: "another version of the code")
    batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None)
    assert len(calls) == 2
    monkeypatch.setattr(checks, "_today", lambda: "2099-01-01")
    batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None)
    assert len(calls) == 3


def test_a_source_with_problems_is_never_cached_and_refused_every_time(setup):
    extract, calls, referrals = setup
    lines = extract.read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[2], "2024-13-01")
    extract.write_text("\n".join(lines) + "\n")
    for _ in range(2):
        refused = batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None)
        assert list(refused) == [(352, "referrals")]
        assert "row 6, column 'referral_date'" in refused[(352, "referrals")]
    assert len(calls) == 2


def test_a_database_source_cannot_be_hashed_so_is_always_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("CSDEMAND_DB_URL", f"sqlite:///{tmp_path / 'none.db'}")
    cfg = {"tables": {"referrals": {"format": "sql", "url_env": "CSDEMAND_DB_URL", "query": "SELECT 1"}}}
    monkeypatch.setattr(
        "csdemand.local.sources.is_configured", lambda table, slug, config=None: table in config["tables"]
    )
    assert checks.local_key("referrals", MANCHESTER, cfg) is None
    assert fingerprint.local_digest("referrals", MANCHESTER, cfg) == fingerprint.UNHASHABLE


def test_an_unreadable_cache_is_ignored(setup):
    _, calls, referrals = setup
    checks.cache_file().parent.mkdir(parents=True)
    checks.cache_file().write_bytes(b"\xff\xfe not json")
    assert batch.refuse_invalid_data([MANCHESTER], referrals, say=lambda line: None) == {}
    assert len(calls) == 1
    assert checks.load()  # rewritten with today's clean verdicts
