from carerecord_events.glossary import GLOSSARY, lookup

ACRONYMS_FROM_THE_SEED = ("DNACPR", "CPR", "ReSPECT", "TEP", "LPA", "IMCA", "ADRT", "MCA")


def test_every_acronym_the_record_uses_is_expanded_plainly_and_in_easy_read() -> None:
    for acronym in ACRONYMS_FROM_THE_SEED:
        entry = lookup(acronym)
        assert entry is not None, acronym
        assert entry.expansion and entry.plain and entry.easy_read
        assert len(entry.easy_read.split()) <= 25, f"{acronym}: easy read should be short"


def test_dnacpr_says_it_limits_cpr_only() -> None:
    entry = lookup("dnacpr")
    assert entry is not None
    assert "CPR only" in entry.plain
    assert len({entry.term for entry in GLOSSARY}) == len(GLOSSARY)
