"""Reference lists shared across the platform: areas, equality categories, languages."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str


# The seven constituent authorities of the West Midlands Combined Authority, by ONS code.
LOCAL_AUTHORITIES: tuple[LocalAuthority, ...] = (
    LocalAuthority("E08000025", "Birmingham"),
    LocalAuthority("E08000026", "Coventry"),
    LocalAuthority("E08000027", "Dudley"),
    LocalAuthority("E08000028", "Sandwell"),
    LocalAuthority("E08000029", "Solihull"),
    LocalAuthority("E08000030", "Walsall"),
    LocalAuthority("E08000031", "Wolverhampton"),
)
OUTSIDE_REGION = LocalAuthority("OUTSIDE", "Outside the region")
AUTHORITY_CHOICES: tuple[LocalAuthority, ...] = (*LOCAL_AUTHORITIES, OUTSIDE_REGION)
AUTHORITY_NAMES: dict[str, str] = {la.code: la.name for la in AUTHORITY_CHOICES}


class AgeBand(enum.StrEnum):
    UNDER_16 = "under 16"
    A16_24 = "16-24"
    A25_34 = "25-34"
    A35_44 = "35-44"
    A45_54 = "45-54"
    A55_64 = "55-64"
    A65_74 = "65-74"
    A75_PLUS = "75+"


def age_band_for(age: int) -> AgeBand:
    """The band a person of this age (in whole years) falls into."""
    if age < 16:
        return AgeBand.UNDER_16
    bounds = [
        (24, AgeBand.A16_24),
        (34, AgeBand.A25_34),
        (44, AgeBand.A35_44),
        (54, AgeBand.A45_54),
        (64, AgeBand.A55_64),
        (74, AgeBand.A65_74),
    ]
    for upper, band in bounds:
        if age <= upper:
            return band
    return AgeBand.A75_PLUS


GENDERS: tuple[tuple[str, str], ...] = (
    ("woman", "Woman"),
    ("man", "Man"),
    ("non-binary", "Non-binary"),
    ("other", "Describes themselves another way"),
    ("not-said", "Prefers not to say"),
)

# ONS 2021 Census ethnic group categories (England), with their high-level group.
ETHNIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("asian-bangladeshi", "Asian or Asian British: Bangladeshi"),
    ("asian-chinese", "Asian or Asian British: Chinese"),
    ("asian-indian", "Asian or Asian British: Indian"),
    ("asian-pakistani", "Asian or Asian British: Pakistani"),
    ("asian-other", "Asian or Asian British: any other Asian background"),
    ("black-african", "Black, Black British, Caribbean or African: African"),
    ("black-caribbean", "Black, Black British, Caribbean or African: Caribbean"),
    ("black-other", "Black, Black British, Caribbean or African: any other Black background"),
    ("mixed-white-asian", "Mixed or multiple ethnic groups: White and Asian"),
    ("mixed-white-black-african", "Mixed or multiple ethnic groups: White and Black African"),
    (
        "mixed-white-black-caribbean",
        "Mixed or multiple ethnic groups: White and Black Caribbean",
    ),
    ("mixed-other", "Mixed or multiple ethnic groups: any other mixed background"),
    ("white-british", "White: English, Welsh, Scottish, Northern Irish or British"),
    ("white-irish", "White: Irish"),
    ("white-gypsy-traveller", "White: Gypsy or Irish Traveller"),
    ("white-roma", "White: Roma"),
    ("white-other", "White: any other White background"),
    ("other-arab", "Other ethnic group: Arab"),
    ("other-any", "Other ethnic group: any other ethnic group"),
    ("not-said", "Prefers not to say"),
)
ETHNIC_GROUP_NAMES = dict(ETHNIC_GROUPS)


def ethnic_high_level(code: str | None) -> str | None:
    """The five-way ONS group (asian, black, mixed, white, other) of a detailed category."""
    if not code or code == "not-said":
        return None
    return code.split("-", 1)[0]


DISABILITY: tuple[tuple[str, str], ...] = (
    ("yes", "Yes, a long-term condition or disability"),
    ("no", "No"),
    ("not-said", "Prefers not to say"),
)

EMPLOYMENT_STATUSES: tuple[tuple[str, str], ...] = (
    ("employed", "In work"),
    ("self-employed", "Self-employed"),
    ("unemployed", "Unemployed and looking for work"),
    ("retired", "Retired"),
    ("student", "In education or training"),
    ("carer", "Looking after home or family"),
    ("unable", "Unable to work (sickness or disability)"),
    ("not-said", "Prefers not to say"),
)

BENEFITS: tuple[tuple[str, str], ...] = (
    ("yes", "Yes"),
    ("no", "No"),
    ("not-said", "Prefers not to say"),
)

LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("ur", "Urdu"),
    ("pa", "Punjabi"),
    ("bn", "Bengali"),
    ("pl", "Polish"),
    ("ar", "Arabic"),
    ("ro", "Romanian"),
    ("so", "Somali"),
    ("ti", "Tigrinya"),
    ("fa", "Persian (Farsi)"),
    ("ku", "Kurdish"),
    ("uk", "Ukrainian"),
)
LANGUAGE_NAMES = dict(LANGUAGES)
