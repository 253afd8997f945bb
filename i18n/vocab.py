"""Stored codes in words, in the current language: vocabularies, countries, regions.

Vocabulary labels (domain.md, "Closed vocabularies") are English messages translated from
the catalogue, built when asked for (so the language of the run applies). Country and
region names come from pycountry and its own translations (the ``iso3166-1`` and
``iso3166-2`` gettext domains it ships), so "MA" is "Morocco" / "Maroc".
"""

from __future__ import annotations

import functools
import gettext
from typing import Any

import pycountry

from i18n import _, get_language, pgettext
from i18n.formats import is_missing


def vocabularies() -> dict[str, dict[str, str]]:
    """field → code → label, in the current language (built once per language: a page
    labels thousands of values per run, and building them all took 0.1 ms a call)."""
    return _vocabularies(get_language())


@functools.lru_cache(maxsize=8)
def _vocabularies(language: str) -> dict[str, dict[str, str]]:
    del language  # the key: _() below reads the current language, which is this one
    kinds = {
        # assistance kinds
        "business_grant": _("Business grant"),
        "vocational_training": _("Vocational training"),
        "medical": _("Medical assistance"),
        "housing": _("Housing"),
        "education": _("Education"),
        "psychosocial": _("Psychosocial support"),
        # training kinds
        "business_management": _("Business management"),
        "job_search": _("Job search"),
        "personal_development": _("Personal development"),
        "psychosocial_coaching": _("Psychosocial coaching"),
        "vocational": _("Vocational training"),
    }
    return {
        "sex": {"F": _("Women"), "M": _("Men")},
        "return_type": {"assisted": _("Assisted voluntary return"),
                        "spontaneous": _("Spontaneous return"),
                        "readmitted": _("Readmission")},
        "case_status": {"registered": pgettext("case", "Registered"),
                        "counselled": pgettext("case", "Counselled"),
                        "plan_approved": pgettext("case", "Plan approved"),
                        "assisted": pgettext("case", "Assisted"),
                        "monitored": pgettext("case", "Monitored"),
                        "closed": pgettext("case", "Closed")},
        "vulnerability": {"medical": _("Medical needs"),
                          "single_parent": _("Single parent"),
                          "elderly": _("Elderly person"),
                          "trafficking": _("Victim of trafficking"),
                          "unaccompanied_minor": _("Unaccompanied minor"),
                          "disability": _("Disability"),
                          "other": _("Other vulnerability"),
                          "none": _("No vulnerability")},
        "modality": {"individual": _("Individual"), "collective": _("Collective"),
                     "community": _("Community-based")},
        "kind": kinds,
        "sector": {"agriculture": _("Agriculture"), "livestock": _("Livestock"),
                   "fishing": _("Fishing"), "trade": _("Trade"),
                   "handicraft": _("Handicraft"), "food_processing": _("Food processing"),
                   "services": _("Services"), "transport": _("Transport"),
                   "other": _("Other sector")},
        "assistance_status": {"approved": _("Approved"), "delivered": _("Delivered"),
                              "cancelled": _("Cancelled")},
        "status": {"in_creation": pgettext("cooperative", "Being set up"),
                   "registered": pgettext("cooperative", "Registered"),
                   "operating": pgettext("cooperative", "Operating"),
                   "dissolved": pgettext("cooperative", "Dissolved")},
        "institution_type": {"national_institution": _("National institution"),
                             "local_authority": _("Local authority"),
                             "technical_agency": _("Technical agency"),
                             "civil_society": _("Civil society organisation"),
                             "private_sector": _("Private sector")},
        "activity": {"sensitisation": _("Sensitisation"), "training": _("Training"),
                     "equipment": _("Equipment")},
        "service": {"health": _("Health care"), "housing": _("Housing"),
                    "employment": _("Employment services"),
                    "vocational_training": _("Vocational training"),
                    "psychosocial": _("Psychosocial support"), "legal": _("Legal aid"),
                    "other": _("Other service")},
        "referral_status": {"referred": _("Referred"), "accepted": _("Accepted"),
                            "service_received": _("Service received"),
                            "declined": _("Declined"), "no_response": _("No response")},
        "route": {"individual": _("Individual or community assistance only"),
                  "cooperative": _("In a cooperative")},
        "horizon": {"6m": _("6 months"), "12m": _("12 months")},
        "age_group": {"<18": _("Under 18"), "50+": _("50 and over")},
        "logframe_status": {"on track": _("on track"), "at risk": _("at risk"),
                            "off track": _("off track"), "unknown": _("unknown")},
        "step": {"registered": _("Registered"), "counselled": _("Counselled"),
                 "plan_approved": _("Plan approved"), "assisted": _("Assisted"),
                 "monitored": _("Monitored")},
    }


def field_name(field: str) -> str:
    """A breakdown's name as a column heading or tooltip title."""
    names = {
        "country": _("Country"), "region": _("Region"), "sex": _("Sex"),
        "age_group": _("Age group"), "vulnerability": _("Vulnerability"),
        "sector": _("Sector"), "modality": _("Modality"), "kind": _("Kind"),
        "period": _("Period"), "return_type": _("Return type"), "status": _("Status"),
        "institution_type": _("Institution type"), "activity": _("Activity"),
        "host_country": _("Host country"), "route": _("Route"), "horizon": _("Horizon"),
        "step": _("Step"), "dimension": _("Dimension"), "label": _("Label"),
        "partner": _("Partner"), "service": _("Service"),
    }
    return names.get(field, code_label(field))


def code_label(value: Any) -> str:
    """A code with no label of its own, in words: ``food_processing`` → ``Food processing``."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@functools.cache
def _translation(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language],
                               fallback=True)


def country_name(code: Any) -> str:
    """``MA`` → Morocco / Maroc (pycountry's name, translated by pycountry)."""
    country = pycountry.countries.get(alpha_2=str(code).upper()) if code else None
    if country is None:
        return str(code)
    name = getattr(country, "common_name", None) or country.name
    if get_language() == "en":
        return name
    translation = _translation("iso3166-1", get_language())
    translated = translation.gettext(name)
    if translated == name and name != country.name:
        translated = translation.gettext(country.name)
    return translated


def region_name(code: Any) -> str:
    """``MA-01`` → its name (pycountry's, translated where pycountry has it)."""
    sub = pycountry.subdivisions.get(code=str(code)) if code else None
    if sub is None:
        return str(code)
    if get_language() == "en":
        return sub.name
    return _translation("iso3166-2", get_language()).gettext(sub.name)


def label(field: str, value: Any) -> str:
    """A breakdown value in words, in the current language."""
    if is_missing(value) or value == "unknown":
        return _("Not recorded")
    if field in ("country", "host_country"):
        return country_name(value)
    if field == "region":
        return region_name(value)
    if field == "period":
        from i18n.formats import period_label

        return period_label(str(value))
    words = vocabularies()
    found = words.get(field, {}).get(str(value))
    if found is not None:
        return found
    if field in ("age_group", "partner"):  # a partner is named as it was written
        return str(value)
    for vocabulary in words.values():  # a field named otherwise (status of a case, …)
        if str(value) in vocabulary:
            return vocabulary[str(value)]
    return code_label(value)
