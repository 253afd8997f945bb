"""Closed vocabularies of the case database (domain.md, "Closed vocabularies").

The enum values are the stored codes. ``FRENCH`` maps the French words accepted on import
to those codes; the import module uses ``parse_code`` for every closed-vocabulary cell.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import case, extract

from i18n import _

E = TypeVar("E", bound=StrEnum)


class Sex(StrEnum):
    F = "F"
    M = "M"


class ReturnType(StrEnum):
    ASSISTED = "assisted"
    SPONTANEOUS = "spontaneous"
    READMITTED = "readmitted"


class CaseStatus(StrEnum):
    REGISTERED = "registered"
    COUNSELLED = "counselled"
    PLAN_APPROVED = "plan_approved"
    ASSISTED = "assisted"
    MONITORED = "monitored"
    CLOSED = "closed"


# Case statuses at or beyond a pipeline step, by the step's own status: a case at one of
# them reached the step even when the step's own date is missing. The one copy, for the
# funnel on the case tables (metrics.pipeline) and in the cubes (analytics.figure_cubes).
STATUS_AT_LEAST: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.COUNSELLED: (CaseStatus.COUNSELLED, CaseStatus.PLAN_APPROVED,
                            CaseStatus.ASSISTED, CaseStatus.MONITORED),
    CaseStatus.PLAN_APPROVED: (CaseStatus.PLAN_APPROVED, CaseStatus.ASSISTED,
                               CaseStatus.MONITORED),
}


# Age at return (the return year minus the birth year), in the groups of issue 3.
AGE_GROUPS = ("<18", "18–24", "25–34", "35–49", "50+")
UNKNOWN_AGE = "unknown"


# Any: SQL expressions (ORM attributes or Core columns; the result a CASE of str).
def age_group_case(return_date: Any, birth_year: Any) -> Any:
    """The age-group CASE, the one copy: the case-table queries (metrics.engine) and the
    cubes (analytics.staging) group by it. ``unknown`` without a birth year."""
    age = extract("year", return_date) - birth_year
    return case(
        (birth_year.is_(None), UNKNOWN_AGE),
        (age < 18, AGE_GROUPS[0]), (age < 25, AGE_GROUPS[1]), (age < 35, AGE_GROUPS[2]),
        (age < 50, AGE_GROUPS[3]), else_=AGE_GROUPS[4])


class Vulnerability(StrEnum):
    MEDICAL = "medical"
    SINGLE_PARENT = "single_parent"
    ELDERLY = "elderly"
    TRAFFICKING = "trafficking"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    DISABILITY = "disability"
    OTHER = "other"


class Modality(StrEnum):
    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"
    COMMUNITY = "community"


class AssistanceKind(StrEnum):
    BUSINESS_GRANT = "business_grant"
    VOCATIONAL_TRAINING = "vocational_training"
    MEDICAL = "medical"
    HOUSING = "housing"
    EDUCATION = "education"
    PSYCHOSOCIAL = "psychosocial"


class Sector(StrEnum):
    AGRICULTURE = "agriculture"
    LIVESTOCK = "livestock"
    FISHING = "fishing"
    TRADE = "trade"
    HANDICRAFT = "handicraft"
    FOOD_PROCESSING = "food_processing"
    SERVICES = "services"
    TRANSPORT = "transport"
    OTHER = "other"


class AssistanceStatus(StrEnum):
    APPROVED = "approved"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class CooperativeStatus(StrEnum):
    IN_CREATION = "in_creation"
    REGISTERED = "registered"
    OPERATING = "operating"
    DISSOLVED = "dissolved"


class TrainingKind(StrEnum):
    BUSINESS_MANAGEMENT = "business_management"
    JOB_SEARCH = "job_search"
    PERSONAL_DEVELOPMENT = "personal_development"
    PSYCHOSOCIAL_COACHING = "psychosocial_coaching"
    VOCATIONAL = "vocational"


class InstitutionType(StrEnum):
    NATIONAL_INSTITUTION = "national_institution"
    LOCAL_AUTHORITY = "local_authority"
    TECHNICAL_AGENCY = "technical_agency"
    CIVIL_SOCIETY = "civil_society"
    PRIVATE_SECTOR = "private_sector"


class CapacityActivityKind(StrEnum):
    SENSITISATION = "sensitisation"
    TRAINING = "training"
    EQUIPMENT = "equipment"


class ServiceKind(StrEnum):
    """What a returnee is referred to a partner for (issue 21)."""

    HEALTH = "health"
    HOUSING = "housing"
    EMPLOYMENT = "employment"
    VOCATIONAL_TRAINING = "vocational_training"
    PSYCHOSOCIAL = "psychosocial"
    LEGAL = "legal"
    OTHER = "other"


class ReferralStatus(StrEnum):
    REFERRED = "referred"
    ACCEPTED = "accepted"
    SERVICE_RECEIVED = "service_received"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


# French words accepted on import, per vocabulary (domain.md, in brackets).
FRENCH: dict[type[StrEnum], dict[str, str]] = {
    ReturnType: {"assiste": "assisted", "spontane": "spontaneous", "readmis": "readmitted"},
    CaseStatus: {"enregistre": "registered", "conseille": "counselled",
                 "plan_approuve": "plan_approved", "assiste": "assisted", "suivi": "monitored",
                 "clos": "closed"},
    Modality: {"individuel": "individual", "collectif": "collective",
               "communautaire": "community"},
    AssistanceKind: {"subvention_microprojet": "business_grant",
                     "formation_professionnelle": "vocational_training", "medical": "medical",
                     "logement": "housing", "education": "education",
                     "psychosocial": "psychosocial"},
    Sector: {"elevage": "livestock", "peche": "fishing", "commerce": "trade",
             "artisanat": "handicraft", "agroalimentaire": "food_processing", "autre": "other"},
    AssistanceStatus: {"approuve": "approved", "livre": "delivered", "annule": "cancelled"},
    CooperativeStatus: {"en_creation": "in_creation", "enregistree": "registered",
                        "active": "operating", "dissoute": "dissolved"},
    TrainingKind: {"gestion_entreprise": "business_management",
                   "recherche_emploi": "job_search",
                   "developpement_personnel": "personal_development",
                   "coaching_psychosocial": "psychosocial_coaching",
                   "professionnelle": "vocational"},
    InstitutionType: {"institution_nationale": "national_institution",
                      "autorite_locale": "local_authority",
                      "agence_technique": "technical_agency",
                      "societe_civile": "civil_society", "secteur_prive": "private_sector"},
    CapacityActivityKind: {"sensibilisation": "sensitisation", "formation": "training",
                           "equipement": "equipment"},
    ServiceKind: {"sante": "health", "logement": "housing", "emploi": "employment",
                  "formation_professionnelle": "vocational_training",
                  "psychosocial": "psychosocial", "juridique": "legal", "autre": "other"},
    ReferralStatus: {"refere": "referred", "oriente": "referred", "accepte": "accepted",
                     "service_recu": "service_received", "refuse": "declined",
                     "sans_reponse": "no_response"},
    Sex: {"female": "F", "male": "M", "femme": "F", "homme": "M", "f": "F", "m": "M"},
}


def parse_code(enum: type[E], raw: str) -> E:
    """Return the member of ``enum`` named by an English code or an accepted French word.

    Trims, ignores case and treats spaces and hyphens as underscores. Raises ValueError
    with the accepted words when nothing matches.
    """
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    for member in enum:
        if member.value.lower() == key:
            return member
    alias = FRENCH.get(enum, {}).get(key)
    if alias is not None:
        return enum(alias)
    accepted = sorted({m.value for m in enum} | set(FRENCH.get(enum, {})))
    raise ValueError(_("{value} is not one of: {accepted}").format(
        value=repr(raw), accepted=", ".join(accepted)))
