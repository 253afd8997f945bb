"""A small programme for the report and export tests, with known small cells.

Morocco and Senegal have enough returnees for most figures to show; Tunisia has three (so a
donor sees "<5" for it), fishing has two projects, and every beneficiary has a case number
and a name that must never reach a donor's export. Deterministic (seeded).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from data_access import db
from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    CapacityActivity,
    Cooperative,
    FollowUp,
    TrainingSession,
)
from data_access.scope import Scope
from data_access.vocab import (
    AssistanceKind,
    AssistanceStatus,
    CapacityActivityKind,
    CaseStatus,
    CooperativeStatus,
    InstitutionType,
    Modality,
    ReturnType,
    Sector,
    Sex,
    TrainingKind,
    Vulnerability,
)

COUNTS = {"MA": 60, "SN": 30, "TN": 3}
SURNAMES = ("Zerhouni", "Quillardet", "Mbengue-Xy", "Benkirane-Qa")
COMMON_SECTORS = (Sector.AGRICULTURE, Sector.TRADE, Sector.HANDICRAFT, Sector.SERVICES)
REGIONS = {"MA": "MA-01", "SN": "SN-DK", "TN": "TN-11"}


def case_number(country: str, i: int) -> str:
    return f"CASE-{country}-{i:05d}"


def populate(url: str, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = dt.date(2015, 1, 1)
    with db.session(url, Scope.everything()) as s:
        coops = {c: Cooperative(country=c, name=f"Coop {c} one", region=REGIONS[c],
                                sector=Sector.AGRICULTURE, registration_date=dt.date(2015, 9, 1),
                                status=CooperativeStatus.OPERATING)
                 for c in ("MA", "SN")}
        s.add_all(coops.values())
        sessions = {c: [TrainingSession(country=c, kind=k, session_date=dt.date(2016, m, 10),
                                        provider=f"Provider {c}")
                        for k, m in ((TrainingKind.BUSINESS_MANAGEMENT, 3),
                                     (TrainingKind.JOB_SEARCH, 8))]
                    for c in COUNTS}
        for group in sessions.values():
            s.add_all(group)
        s.flush()
        fishing_left = 2
        for country, n in COUNTS.items():
            for i in range(1, n + 1):
                ret = start + dt.timedelta(days=rng.randrange(0, 600))
                ben = Beneficiary(
                    country=country, case_number=case_number(country, i),
                    region=REGIONS[country], sex=rng.choice([Sex.F, Sex.M]),
                    birth_year=rng.randrange(1960, 1998), household_size=rng.randrange(1, 8),
                    host_country=rng.choice(["ES", "FR", "IT", "BE"]), return_date=ret,
                    return_type=ReturnType.ASSISTED, registration_date=ret +
                    dt.timedelta(days=5), status=CaseStatus.ASSISTED,
                    first_name="Yasminetest", last_name=SURNAMES[i % len(SURNAMES)],
                    phone=f"+2126{i:08d}")
                if i % 4 == 0:
                    ben.vulnerabilities.append(BeneficiaryVulnerability(
                        country=country, vulnerability=Vulnerability.MEDICAL))
                s.add(ben)
                s.flush()
                delivered = min(ben.return_date + dt.timedelta(days=rng.randrange(30, 120)),
                                dt.date(2016, 12, 20))
                sector = rng.choice(COMMON_SECTORS)
                if country == "MA" and fishing_left:
                    sector, fishing_left = Sector.FISHING, fishing_left - 1
                coop = coops.get(country) if i % 5 == 0 else None
                s.add(Assistance(
                    country=country, beneficiary_id=ben.id,
                    modality=Modality.COLLECTIVE if coop else Modality.INDIVIDUAL,
                    kind=AssistanceKind.BUSINESS_GRANT, sector=sector,
                    amount_eur=Decimal(rng.randrange(800, 2500)), approved_date=ben.return_date,
                    delivered_date=delivered, status=AssistanceStatus.DELIVERED,
                    cooperative_id=coop.id if coop else None))
                if i % 2 == 0:
                    for ts in sessions[country][: 1 + i % 2 + (i % 6 == 0)]:
                        s.add(Attendance(country=country, session_id=ts.id,
                                         beneficiary_id=ben.id, completed=i % 10 != 0))
                visit = delivered + dt.timedelta(days=200)
                if visit <= dt.date(2016, 12, 31):
                    s.add(FollowUp(country=country, beneficiary_id=ben.id, visit_date=visit,
                                   business_operating=i % 7 != 0, jobs_created=1 + i % 3,
                                   score_economic=0.6, score_social=0.5,
                                   score_psychosocial=0.7))
        for country, people in (("MA", 120), ("SN", 45), ("TN", 3)):
            s.add(CapacityActivity(country=country, activity_date=dt.date(2016, 4, 4),
                                   institution=f"Institution {country}",
                                   institution_type=InstitutionType.LOCAL_AUTHORITY,
                                   activity=CapacityActivityKind.TRAINING,
                                   people_reached=people))
