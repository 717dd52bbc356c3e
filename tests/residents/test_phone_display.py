"""Phone numbers as staff read them on resident lists and pages."""

import random

import phonenumbers
import pytest

from inclusion.forms import display_phone


def _library_form(value: str) -> str:
    number = phonenumbers.parse(value, "GB")
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 44
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def test_every_uk_07_number_reads_as_phonenumbers_formats_it():
    # The quick path for mobiles must never differ from the full parse: try every 07 range
    # (mobiles, pagers, personal numbers) with numbers drawn at random.
    draw = random.Random(2026)
    for prefix in range(100):
        for _ in range(20):
            value = f"+447{prefix:02d}{draw.randrange(10 ** 7):07d}"
            assert display_phone(value) == _library_form(value), value


@pytest.mark.parametrize(("stored", "shown"), [
    ("+447700900123", "07700 900123"),
    ("+441214960000", "0121 496 0000"),
    ("+442079460000", "020 7946 0000"),
    ("+447640123456", "076 4012 3456"),
    ("+33612345678", "+33 6 12 34 56 78"),
    ("", ""),
    (None, ""),
    ("not a number", "not a number"),
])
def test_stored_numbers_are_shown_in_the_form_people_write(stored, shown):
    assert display_phone(stored) == shown
