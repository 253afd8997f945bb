"""What the demo data is calibrated on: one profile per country, and the word lists.

The default counts reproduce the programme's published figures (domain.md, "Published
figures"): Morocco 325 returnees assisted (195 individually, 130 through cooperatives) and
about 150 trained; more than 400 assisted over the three countries. ``--beneficiaries N``
keeps every share below and scales the counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

import pycountry

# Host countries returned from (ISO 3166-1 alpha-2): EU first, then others on the routes.
HOSTS = ("ES", "FR", "IT", "BE", "NL", "DE", "CH", "AT", "SE", "NO", "DK", "GB", "PT", "GR",
         "LU", "IE", "MT", "PL", "CZ", "FI", "LY", "DZ", "TR", "MR", "NE", "ML")


@dataclass(frozen=True)
class CountryProfile:
    code: str
    # Calibration at the default size: registered cases, assisted by modality, trained.
    registered: int
    individual: int
    collective: int
    community: int
    trained: int
    female_share: float
    phone_prefix: str  # country calling code and the leading digit of mobiles
    phone_digits: int  # digits after that prefix
    hosts: dict[str, float]  # weights over HOSTS; absent hosts weigh 0.2
    regions: dict[str, float] = field(default_factory=dict)  # region weights; absent: 1
    first_names_m: tuple[str, ...] = ()
    first_names_f: tuple[str, ...] = ()
    last_names: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()  # associations that accompany cooperatives
    providers: tuple[str, ...] = ()  # training providers
    # Target factor: target = actual × factor, so the traffic lights differ by country.
    target_factor: float = 1.0

    @property
    def assisted(self) -> int:
        return self.individual + self.collective + self.community


MOROCCO = CountryProfile(
    "MA", registered=420, individual=195, collective=130, community=0, trained=150,
    female_share=0.14, phone_prefix="+212 6", phone_digits=8,
    hosts={"ES": 30, "FR": 20, "IT": 15, "BE": 10, "NL": 8, "DE": 6, "LY": 3, "DZ": 2},
    regions={"MA-01": 12, "MA-02": 14, "MA-03": 12, "MA-04": 9, "MA-05": 14, "MA-06": 12,
             "MA-07": 8, "MA-08": 6, "MA-09": 7, "MA-10": 2, "MA-11": 1, "MA-12": 1},
    first_names_m=("Mohamed", "Youssef", "Hamza", "Rachid", "Abdelkader", "Said", "Mustapha",
                   "Karim", "Hassan", "Omar", "Brahim", "Khalid", "Nabil", "Hicham"),
    first_names_f=("Fatima", "Khadija", "Amina", "Naima", "Samira", "Malika", "Hanane",
                   "Zineb", "Laila", "Saida"),
    last_names=("El Amrani", "Benali", "Alaoui", "Bennani", "Tazi", "El Idrissi", "Ouahbi",
                "Bouzid", "Chraibi", "Lahlou", "Ait Taleb", "Amziane", "El Fassi", "Berrada",
                "Zeroual"),
    partners=("Association Al Amal", "Association Tanmia Oriental", "Réseau Migration et "
              "Développement", "Association Chaml", "Association Ennakhil",
              "Fondation Orient-Occident"),
    providers=("OFPPT", "ANAPEC", "Association Chaml", "Centre d'écoute psychosocial"),
    target_factor=0.95,
)
TUNISIA = CountryProfile(
    "TN", registered=95, individual=48, collective=16, community=6, trained=38,
    female_share=0.10, phone_prefix="+216 9", phone_digits=7,
    hosts={"FR": 35, "IT": 30, "DE": 10, "CH": 8, "BE": 5, "LY": 4, "NL": 2},
    regions={"TN-11": 3, "TN-61": 3, "TN-51": 2, "TN-41": 2, "TN-43": 2, "TN-42": 2},
    first_names_m=("Mohamed", "Ahmed", "Ali", "Sami", "Walid", "Hatem", "Karim", "Nizar",
                   "Anis", "Bilel", "Aymen", "Mehdi"),
    first_names_f=("Amel", "Sonia", "Ines", "Rim", "Houda", "Leila", "Mouna", "Salma"),
    last_names=("Ben Salah", "Trabelsi", "Gharbi", "Jlassi", "Mejri", "Ben Ammar", "Hammami",
                "Bouazizi", "Dridi", "Sassi", "Chebbi", "Ayari"),
    partners=("Association Tunisienne de Développement", "Terre d'Asile Tunisie",
              "Association Ejjeld"),
    providers=("ATFP", "ANETI", "Terre d'Asile Tunisie"),
    target_factor=1.25,
)
SENEGAL = CountryProfile(
    "SN", registered=105, individual=50, collective=20, community=10, trained=42,
    female_share=0.12, phone_prefix="+221 7", phone_digits=8,
    hosts={"FR": 30, "ES": 25, "IT": 20, "BE": 4, "DE": 4, "MR": 5, "ML": 3, "NE": 2},
    regions={"SN-DK": 5, "SN-TH": 3, "SN-LG": 3, "SN-SL": 3, "SN-DB": 2, "SN-KL": 2},
    first_names_m=("Mamadou", "Moussa", "Ibrahima", "Cheikh", "Ousmane", "Abdoulaye", "Modou",
                   "Babacar", "Aliou", "Pape", "Lamine", "Serigne"),
    first_names_f=("Fatou", "Aminata", "Awa", "Mariama", "Khady", "Ndeye", "Aissatou",
                   "Coumba"),
    last_names=("Diop", "Ndiaye", "Fall", "Sow", "Diallo", "Faye", "Gueye", "Sarr", "Ba",
                "Cissé", "Mbaye", "Sy", "Ndour", "Thiam"),
    partners=("Association Jappo", "Fédération des GIE de Thiès", "ONG Lumière"),
    providers=("ONFP", "ANPEJ", "Centre Kër Yaakaar"),
    target_factor=1.7,
)

# The demo programme's countries (programmes/motuse.toml), calibrated on its figures.
KNOWN: dict[str, CountryProfile] = {p.code: p for p in (MOROCCO, SENEGAL, TUNISIA)}
DEFAULT_BENEFICIARIES = sum(p.registered for p in KNOWN.values())


def generic_profile(code: str) -> CountryProfile:
    """A country of another programme: middling figures, generic names and partners, the
    country's own ISO 3166-2 regions (weighed alike), every host country alike."""
    return CountryProfile(
        code, registered=120, individual=55, collective=25, community=5, trained=40,
        female_share=0.15, phone_prefix="+000 ", phone_digits=9, hosts={},
        first_names_m=("Abdoul", "Ahmad", "Ali", "Daniel", "Hassan", "Ibrahim", "John",
                       "Karim", "Mohamed", "Musa", "Omar", "Samuel", "Yusuf"),
        first_names_f=("Aisha", "Amina", "Fatima", "Grace", "Hawa", "Mariam", "Sara",
                       "Zainab"),
        last_names=("Abdi", "Bah", "Camara", "Hassan", "Ibrahim", "Karimi", "Mohammed",
                    "Musa", "Okafor", "Rahimi", "Sesay", "Tesfaye", "Yusuf"),
        partners=("Local reintegration association", "Returnees' network",
                  "Community development association"),
        providers=("National vocational training agency", "Employment agency",
                   "Psychosocial support centre"),
        target_factor=1.0 + 0.15 * (sum(map(ord, code)) % 5),
    )


@dataclass(frozen=True)
class World:
    """What the generator draws for: the programme's period and one profile per country,
    sorted by code (beneficiaries are numbered in this order, so case numbers ascend with
    ids). Dates are drawn as days since ``start`` (0 … ``last_day``)."""

    start: dt.date
    end: dt.date
    profiles: tuple[CountryProfile, ...]

    @property
    def last_day(self) -> int:
        return (self.end - self.start).days

    @property
    def registered(self) -> int:
        """The default number of beneficiaries: the profiles' registered cases."""
        return sum(p.registered for p in self.profiles)

    @property
    def year_ends(self) -> tuple[int, ...]:
        """Each 31 December of the period and its last day, as days since the start (the
        logframe's target dates)."""
        ends = [(dt.date(y, 12, 31) - self.start).days
                for y in range(self.start.year, self.end.year + 1)
                if self.start <= dt.date(y, 12, 31) <= self.end]
        if not ends or ends[-1] != self.last_day:
            ends.append(self.last_day)
        return tuple(ends)


def world_for(start: dt.date, end: dt.date, countries: tuple[str, ...]) -> World:
    """The world of a programme: its period, its countries' profiles (the demo
    programme's calibrated ones where known, else ``generic_profile``)."""
    return World(start, end, tuple(KNOWN.get(c) or generic_profile(c)
                                   for c in sorted(countries)))


def programme_world() -> World:
    """The world of the programme of ``PROGRAMME_FILE``."""
    from data_access.programme import programme

    p = programme()
    return world_for(p.start, p.end, p.countries)

# Share of the cases not (yet) assisted at each pipeline step.
PIPELINE_SHARES = {"plan_approved": 0.30, "counselled": 0.35, "registered": 0.35}

SECTORS_INDIVIDUAL = {"agriculture": 25, "trade": 25, "handicraft": 18, "livestock": 10,
                      "food_processing": 6, "services": 8, "transport": 4, "fishing": 2,
                      "other": 2}
SECTORS_COOPERATIVE = {"agriculture": 32, "handicraft": 22, "livestock": 15,
                       "food_processing": 15, "trade": 8, "fishing": 5, "services": 3}
SMALL_KINDS = {"medical": 35, "housing": 25, "psychosocial": 25, "education": 15}
VULNERABILITIES = {"medical": 30, "single_parent": 20, "elderly": 8, "trafficking": 8,
                   "unaccompanied_minor": 4, "disability": 12, "other": 18}
TRAINING_KINDS = {"business_management": 30, "job_search": 20, "personal_development": 20,
                  "psychosocial_coaching": 15, "vocational": 15}
RETURN_TYPES = {"assisted": 75, "spontaneous": 15, "readmitted": 10}
COOPERATIVE_STATUSES = {"operating": 70, "registered": 20, "dissolved": 10}
COOPERATIVE_WORDS = ("Al Amal", "Ennour", "Tawfiq", "Al Baraka", "Assafaa", "Annajah",
                     "Al Khair", "Tiwizi", "Al Wahda", "Ettadamoun", "Teranga", "Jamm",
                     "Dimbali", "Al Fajr", "Ennakhla", "Al Atlas")

INSTITUTIONS: dict[str, tuple[str, ...]] = {
    "national_institution": ("Ministère chargé des migrations", "Agence nationale pour "
                             "l'emploi", "Office de la formation professionnelle"),
    "local_authority": ("Commune", "Conseil régional", "Préfecture"),
    "technical_agency": ("Agence de développement social", "Chambre d'artisanat",
                         "Chambre d'agriculture"),
    "civil_society": ("Association d'accueil des migrants", "Réseau des associations de "
                      "développement", "Association de femmes"),
    "private_sector": ("Banque de microfinance", "Fédération des entreprises"),
}
CAPACITY_ACTIVITIES = {"sensitisation": 50, "training": 35, "equipment": 15}
PEOPLE_REACHED = {"sensitisation": (15, 80), "training": (6, 30), "equipment": (2, 12)}


@cache
def regions(country: str) -> tuple[str, ...]:
    """The country's first-level ISO 3166-2 subdivisions (Morocco: the 12 regions)."""
    subdivisions = pycountry.subdivisions.get(country_code=country) or []
    # Morocco's list mixes regions, provinces and prefectures: keep the top level only.
    top = [s for s in subdivisions if s.parent_code is None]
    return tuple(sorted(s.code for s in top))


@cache
def region_name(code: str) -> str:
    subdivision = pycountry.subdivisions.get(code=code)
    name = subdivision.name if subdivision is not None else code
    return name.split(" (")[0]  # drop pycountry's "(EH-partial)" notes
