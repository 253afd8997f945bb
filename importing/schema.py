"""The import template as data: sheets, columns, French aliases, descriptions, kinds.

This is the one description of the field offices' contract (domain.md, "The import
template"); the reader, the validator, the template writer and the export all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from data_access.vocab import (
    AssistanceKind,
    AssistanceStatus,
    CapacityActivityKind,
    CaseStatus,
    CooperativeStatus,
    InstitutionType,
    Modality,
    ReferralStatus,
    ReturnType,
    Sector,
    ServiceKind,
    TrainingKind,
)


@dataclass(frozen=True)
class Column:
    name: str
    french: str | None
    kind: str  # text, date, bool, int, decimal, score, float, country, region, sex, enum,
    #            vulnerabilities, indicator, currency, month, rate, services
    description: str
    required: bool = False
    enum: type[StrEnum] | None = None
    max_length: int | None = None

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.name,) if not self.french else (self.name, self.french)


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the columns a row is matched on
    description: str
    optional: bool = False  # a file may leave the sheet out (it came after the others)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, french: str | None, kind: str, description: str, *,
       required: bool = False, enum: type[StrEnum] | None = None,
       max_length: int | None = None) -> Column:
    return Column(name, french, kind, description, required, enum, max_length)


CASE = _c("case_number", "numero_dossier", "text", "Case number as the field office writes "
          "it (required)", required=True, max_length=64)
# The case's country, on the sheets that name a case by its number: needed only where the
# number exists in more than one of the importer's countries (numbers are unique per
# country, not across countries).
CASE_COUNTRY = _c("country", "pays", "country", "Country of the case: needed only when its "
                  "number is used in more than one of your countries")
DATE_HELP = "YYYY-MM-DD or DD/MM/YYYY"
# The partner that delivered a record (issue 21): the last column of the sheets that have
# it, so that files written before it still read column for column.
PARTNER = _c("partner", "partenaire", "text", "Partner that delivered it, as on the partners "
             "sheet (blank: the programme itself)", max_length=200)

SHEETS: tuple[Sheet, ...] = (
    Sheet("beneficiaries", (
        _c("case_number", "numero_dossier", "text",
           "Case number as the field office writes it; unique within the country "
           "(required)", required=True,
           max_length=64),
        _c("country", "pays", "country", "Country of return: MA, TN, SN or its name (required)",
           required=True),
        _c("region", "region", "region", "Region: ISO 3166-2 code (MA-05) or name"),
        _c("sex", "sexe", "sex", "F or M (required)", required=True),
        _c("birth_date", "date_naissance", "date", f"Birth date, {DATE_HELP}"),
        _c("birth_year", "annee_naissance", "int", "Birth year when the date is unknown"),
        _c("household_size", "taille_menage", "int", "People in the household (1 or more)"),
        _c("host_country", "pays_accueil", "country", "Country returned from: code or name"),
        _c("return_date", "date_retour", "date", f"Return date, {DATE_HELP} (required)",
           required=True),
        _c("return_type", "type_retour", "enum", "assisted, spontaneous or readmitted",
           enum=ReturnType),
        _c("vulnerabilities", "vulnerabilites", "vulnerabilities",
           "Vulnerabilities separated by ; (medical; single_parent; elderly; trafficking; "
           "unaccompanied_minor; disability; other)"),
        _c("registration_date", "date_enregistrement", "date",
           f"Registration date, {DATE_HELP} (required)", required=True),
        _c("status", "statut", "enum", "Case status (blank: registered)", enum=CaseStatus),
        _c("consent_story", "consentement_temoignage", "bool",
           "Consents to share a story: yes/no (blank: no)"),
        _c("first_name", "prenom", "text", "First name (personal data)", max_length=100),
        _c("last_name", "nom", "text", "Last name (personal data)", max_length=100),
        _c("phone", "telephone", "text", "Phone (personal data)", max_length=40),
    ), ("case_number", "country"), "one row per returnee (case)"),
    Sheet("assistance", (
        CASE,
        _c("modality", "modalite", "enum", "individual, collective or community (required)",
           required=True, enum=Modality),
        _c("kind", "type", "enum", "Kind of assistance (required)", required=True,
           enum=AssistanceKind),
        _c("sector", "secteur", "enum", "Business sector", enum=Sector),
        _c("amount_eur", "montant_eur", "decimal",
           "Amount in the reporting currency (0 or more): 1500 or 1 500, not 1,500 or "
           "1.500 (ambiguous); blank when amount_local is given (it is converted)"),
        _c("amount_local", "montant_local", "decimal",
           "Amount paid in the local currency (0 or more), converted to the reporting "
           "currency at the month's "
           "rate of the exchange_rates sheet"),
        _c("currency", "devise", "currency",
           "Currency of amount_local: ISO 4217 code (MAD, TND, XOF)"),
        _c("rate_date", "date_taux", "date",
           f"Date whose month's rate converts amount_local, {DATE_HELP} (blank: the "
           "delivery date, else the approval date)"),
        _c("approved_date", "date_approbation", "date", f"Approval date, {DATE_HELP}"),
        _c("delivered_date", "date_livraison", "date", f"Delivery date, {DATE_HELP}"),
        _c("cooperative", "cooperative", "text",
           "Cooperative name, as on the cooperatives sheet (collective assistance)",
           max_length=200),
        _c("status", "statut", "enum",
           "approved, delivered or cancelled (blank: delivered when a delivery date is "
           "given, approved otherwise)", enum=AssistanceStatus),
        CASE_COUNTRY,
        PARTNER,
    ), ("case_number", "country", "modality", "kind"), "one row per reintegration measure"),
    Sheet("partners", (
        _c("name", "nom", "text", "Partner name; unique within a country (required)",
           required=True, max_length=200),
        _c("country", "pays", "country", "Country: code or name (required)", required=True),
        _c("institution_type", "type_institution", "enum", "Institution type (required)",
           required=True, enum=InstitutionType),
        _c("services", "services", "services",
           "Services offered, separated by ; (health; housing; employment; "
           "vocational_training; psychosocial; legal; other)"),
    ), ("name", "country"), "one row per partner organisation", optional=True),
    Sheet("cooperatives", (
        _c("name", "nom", "text", "Cooperative name; unique within a country (required)",
           required=True, max_length=200),
        _c("country", "pays", "country", "Country: code or name (required)", required=True),
        _c("region", "region", "region", "Region: ISO 3166-2 code or name"),
        _c("sector", "secteur", "enum", "Business sector (required)", required=True,
           enum=Sector),
        _c("partner", "partenaire", "text", "Partner association (linked to the partner of "
           "that name on the partners sheet or in the database, where there is one)",
           max_length=200),
        _c("registration_date", "date_enregistrement", "date",
           f"Legal registration date, {DATE_HELP}"),
        _c("status", "statut", "enum", "Cooperative status (blank: in_creation)",
           enum=CooperativeStatus),
    ), ("name", "country"), "one row per cooperative"),
    Sheet("training", (
        CASE,
        _c("kind", "type", "enum", "Training kind (required)", required=True,
           enum=TrainingKind),
        _c("session_date", "date_session", "date", f"Session date, {DATE_HELP} (required)",
           required=True),
        _c("provider", "prestataire", "text", "Training provider", max_length=200),
        _c("completed", "complete", "bool", "Completed: yes/no (required)", required=True),
        CASE_COUNTRY,
        _c("partner", "partenaire", "text", "Partner that ran the session, as on the partners "
           "sheet (blank: the programme itself)", max_length=200),
    ), ("case_number", "country", "kind", "session_date"),
        "one row per attendance at a session"),
    Sheet("followups", (
        CASE,
        _c("visit_date", "date_visite", "date", f"Visit date, {DATE_HELP} (required)",
           required=True),
        _c("business_operating", "activite_en_cours", "bool", "Business operating: yes/no"),
        _c("jobs_created", "emplois_crees", "int", "Jobs created (0 or more)"),
        _c("score_economic", "score_economique", "score", "Economic score, 0 to 1"),
        _c("score_social", "score_social", "score", "Social score, 0 to 1"),
        _c("score_psychosocial", "score_psychosocial", "score", "Psychosocial score, 0 to 1"),
        CASE_COUNTRY,
        _c("partner", "partenaire", "text", "Partner that made the visit, as on the partners "
           "sheet (blank: the programme itself)", max_length=200),
    ), ("case_number", "country", "visit_date"), "one row per monitoring visit"),
    Sheet("referrals", (
        CASE,
        _c("partner", "partenaire", "text", "Partner referred to, as on the partners sheet "
           "(required)", required=True, max_length=200),
        _c("service", "service", "enum", "health, housing, employment, vocational_training, "
           "psychosocial, legal or other (required)", required=True, enum=ServiceKind),
        _c("referral_date", "date_orientation", "date",
           f"Referral date, {DATE_HELP} (required)", required=True),
        _c("status", "statut", "enum",
           "referred, accepted, service_received, declined or no_response (blank: "
           "service_received when a service date is given, accepted when an acceptance "
           "date is, referred otherwise)", enum=ReferralStatus),
        _c("accepted_date", "date_acceptation", "date", f"Date the partner accepted, "
           f"{DATE_HELP}"),
        _c("service_date", "date_service", "date", f"Date the service was received, "
           f"{DATE_HELP}"),
        CASE_COUNTRY,
    ), ("case_number", "country", "partner", "service", "referral_date"),
        "one row per referral of a returnee to a partner", optional=True),
    Sheet("capacity_building", (
        _c("country", "pays", "country", "Country: code or name (required)", required=True),
        _c("activity_date", "date_activite", "date", f"Activity date, {DATE_HELP} (required)",
           required=True),
        _c("institution", "institution", "text", "Institution supported (required)",
           required=True, max_length=200),
        _c("institution_type", "type_institution", "enum", "Institution type (required)",
           required=True, enum=InstitutionType),
        _c("activity", "activite", "enum", "sensitisation, training or equipment (required)",
           required=True, enum=CapacityActivityKind),
        _c("people_reached", "personnes_touchees", "int", "People reached (0 or more)"),
    ), ("country", "activity_date", "institution", "activity"),
        "one row per capacity-building activity"),
    Sheet("targets", (
        _c("indicator", "indicateur", "indicator", "Indicator code, e.g. BEN-2 (required)",
           required=True),
        _c("country", "pays", "country", "Country: code or name; blank = all countries"),
        _c("period_end", "fin_periode", "date", f"Last day of the period, {DATE_HELP} "
           "(required)", required=True),
        _c("baseline", "reference", "float", "Baseline value (optional)"),
        _c("target", "cible", "float", "Target value (required)", required=True),
    ), ("indicator", "country", "period_end"), "one row per logframe target"),
    Sheet("exchange_rates", (
        _c("currency", "devise", "currency", "ISO 4217 code: MAD, TND, XOF (required)",
           required=True),
        _c("month", "mois", "month", "Month: YYYY-MM, or any date of the month (required)",
           required=True),
        _c("rate", "taux", "rate", "Units of the currency for one unit of the reporting "
           "currency, e.g. 10.8473 (required)", required=True),
        _c("source", "source", "text", "Where the rate comes from (InforEuro, a bank)",
           max_length=200),
    ), ("currency", "month"), "one row per currency and month: the rate grants are "
        "converted at", optional=True),
)

BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}
SHEET_NAMES: tuple[str, ...] = tuple(s.name for s in SHEETS)
REQUIRED_SHEETS: tuple[str, ...] = tuple(s.name for s in SHEETS if not s.optional)
# Sheets a file may leave out (their Sheet says optional): files made from the template
# before they existed still import.
OPTIONAL_SHEETS: frozenset[str] = frozenset(s.name for s in SHEETS if s.optional)
