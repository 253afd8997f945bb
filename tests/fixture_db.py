"""The hand-worked fixture database: a small programme whose every figure is known.

``build_fixture(url)`` fills an empty, migrated database through the ORM. ``EXPECTED`` holds
the figure of every indicator for the whole programme (2015-01-01 – 2016-12-31) and for
breakdowns, worked out BY HAND from the tables below (never by running the metrics); the
working is in the comments next to each figure. Dates are chosen on period edges (first and
last day of a quarter), on 29 February 2016, and just outside the programme, to catch
off-by-one errors. Scores are multiples of 0.25 so that every mean is exact in binary.

Beneficiaries (age group = return year − birth year):

  id  ctry region sex born return     registered  vulnerabilities      age
  1   MA  MA-01  M  1985 2014-11-15 2015-01-01  -                    25–34
  2   MA  MA-01  F  1990 2015-01-20 2015-03-31  single_parent        25–34
  3   MA  MA-05  M  1970 2015-02-10 2015-04-01  medical              35–49
  4   MA  MA-05  M  1995 2015-03-01 2015-03-15  -                    18–24
  5   MA  MA-05  F  1980 2015-03-01 2015-03-16  trafficking          35–49
  6   MA  MA-06  M  1999 2015-05-01 2015-05-10  unaccompanied_minor  <18
  7   MA  MA-06  F  1960 2015-06-01 2015-06-15  elderly              50+
  8   MA  -      M  -    2016-01-10 2016-02-29  -                    unknown
  9   TN  TN-11  M  1988 2015-02-01 2015-02-15  -                    25–34
  10  TN  TN-11  F  1992 2015-04-01 2015-06-30  disability           18–24
  11  TN  TN-12  M  1975 2015-07-01 2015-07-01  -                    35–49
  12  TN  TN-12  M  1983 2016-03-01 2016-03-10  -                    25–34
  13  TN  TN-12  F  1986 2016-05-01 2016-06-01  medical              25–34
  14  SN  SN-DK  M  1987 2015-01-05 2015-01-10  -                    25–34
  15  SN  SN-DK  M  1991 2015-09-01 2015-10-01  -                    18–24
  16  SN  SN-TH  F  1984 2015-09-15 2015-10-01  single_parent        25–34
  17  SN  SN-TH  M  1979 2016-06-01 2016-12-31  -                    35–49
  18  SN  SN-TH  M  1993 2016-11-01 2017-01-02  -                    18–24  (outside)

Assistance (ben, modality, kind, sector, EUR, delivered, cooperative, status):

  1  b1  individual  business_grant      trade           2000  2015-03-31  -   delivered
  2  b1  individual  vocational_training services         500  2015-06-01  -   delivered
  3  b2  individual  business_grant      handicraft      1500  2015-04-01  -   delivered
  4  b3  individual  medical             -               -     2015-03-20  -   delivered
  5  b3  individual  business_grant      agriculture     1800  2015-07-15  -   delivered
  6  b4  collective  business_grant      agriculture     1000  2015-06-30  C1  delivered
  7  b5  collective  business_grant      agriculture     1000  2015-06-30  C1  delivered
  8  b6  collective  business_grant      agriculture     1000  2015-07-01  C1  delivered
  9  b7  individual  business_grant      trade           1200  -           -   cancelled
  10 b8  individual  business_grant      trade           2500  2016-02-29  -   delivered
  11 b9  individual  business_grant      services        1600  2015-05-01  -   delivered
  12 b10 community   business_grant      food_processing  800  2015-10-01  -   delivered
  13 b11 individual  business_grant      livestock       2200  2015-12-31  -   delivered
  14 b12 individual  business_grant      trade           1500  -           -   approved
  15 b13 individual  housing             -                600  2016-07-01  -   delivered
  16 b14 individual  business_grant      fishing         2000  2015-03-01  -   delivered
  17 b15 collective  business_grant      livestock        900  2016-01-01  C2  delivered
  18 b16 collective  business_grant      livestock        900  2016-01-15  C2  delivered
  19 b17 individual  business_grant      handicraft      1700  2017-01-10  -   delivered (outside)

First delivery and days since return (ASS-3): b1 2015-03-31 136, b2 2015-04-01 71,
b3 2015-03-20 38, b4 2015-06-30 121, b5 2015-06-30 121, b6 2015-07-01 61, b8 2016-02-29 50,
b9 2015-05-01 89, b10 2015-10-01 183, b11 2015-12-31 183, b13 2016-07-01 61,
b14 2015-03-01 55, b15 2016-01-01 122, b16 2016-01-15 122 (b17: 2017, outside).

Cooperatives: C1 MA agriculture registered 2015-06-30; C2 SN livestock registered
2016-01-01; C3 TN trade, not registered; C4 MA handicraft registered 2014-12-31 (outside).

Training sessions and attendance (✓ completed, ✗ not):
  S1 MA business_management    2015-04-01  b1✓ b2✓ b3✗ b4✓
  S2 MA personal_development   2015-06-30  b1✓ b5✗ b6✓
  S3 TN job_search             2015-09-30  b9✓ b10✗ b11✓
  S4 SN business_management    2016-02-29  b14✓ b15✓ b16✗
  S5 MA psychosocial_coaching  2016-10-01  b2✓ b8✗ b3✗

Follow-up visits (days after first delivery; operating; jobs; scores e/s/p; sum of scores):
  b1  2015-06-30  91  yes 1
  b1  2015-10-01 184  yes 2  .5/.5/.5     1.5
  b1  2016-04-01 367  yes 3  .75/.5/.75   2.0
  b2  2015-07-01  91  yes 1
  b2  2015-10-01 183  no  0  .25/.25/.5   1.0
  b3  2015-09-18 182  yes 2  .5/.75/.25   1.5
  b3  2016-03-20 366  -   -  (nothing recorded but the visit)
  b4  2015-12-31 184  yes 1  .75/.75/.75  2.25
  b5  2015-12-28 181  yes 1               (one day short of 6 months)
  b6  2016-01-01 184  yes 1  .25/.5/.5    1.25
  b6  2016-07-01 366  yes 2  .5/.5/.75    1.75
  b8  2016-08-29 182  yes 2  1/.75/.5     2.25
  b9  2015-08-01  92  yes 1
  b9  2016-05-01 366  no  0  .25/.5/.25   1.0
  b10 2016-04-01 183  yes 3
  b11 2016-12-31 366  yes 4  .75/1/.75    2.5
  b13 2016-12-30 182  yes 1  .5/.25/.5    1.25
  b14 2015-06-01  92  yes 1
  b14 2015-09-01 184  yes 2  .5/.5/.25    1.25
  b14 2016-03-01 366  no  0  .25/.25/.25  0.75
  b14 2017-01-15 686  yes 5               (outside)
  b15 2016-04-01  91  yes 1

Capacity building (country, date, institution, type, activity, people):
  K1 MA 2015-01-01 Ministère des MRE     national_institution sensitisation 20
  K2 MA 2015-06-30 Ministère des MRE     national_institution training      15
  K3 MA 2016-02-29 Commune de Fès        local_authority      equipment     -
  K4 TN 2015-09-30 ANETI                 technical_agency     training      12
  K5 TN 2016-12-31 Tunis Solidaire       civil_society        sensitisation 30
  K6 SN 2016-04-01 ANPEJ                 technical_agency     training       8
  K7 SN 2016-04-02 ANPEJ                 technical_agency     sensitisation  3
  K8 SN 2017-01-05 Mairie de Thiès       local_authority      sensitisation 50 (outside)
  K9 TN 2015-03-31 Ministère des MRE     national_institution sensitisation 10

Partners (issue 21; none changes a figure above, every one is new):
  P1 MA Association Amal  civil_society        psychosocial;employment  partner of C1 and
     of a6 a7 a8 (C1's members' assistance), session S2, the visit b4 2015-12-31
  P2 MA ANAPEC            national_institution employment;vocational_training
  P3 TN ANETI             technical_agency     employment               partner of a12 (b10)
  P4 SN Mairie de Dakar   local_authority      housing;health

Referrals (ben, partner, service, referred, status, accepted, service received; days):
  R1  b1  P2 employment           2015-04-01 service_received 2015-04-05 2015-04-21  20
  R2  b2  P1 psychosocial         2015-06-30 service_received 2015-07-01 2015-07-10  10
  R3  b3  P2 vocational_training  2015-09-30 accepted         2015-10-02 -
  R4  b3  P1 psychosocial         2016-02-29 service_received -          2016-04-01  32
  R5  b9  P3 employment           2015-12-31 service_received -          2016-01-30  30
  R6  b10 P3 employment           2016-03-01 declined         -          -
  R7  b14 P4 housing              2015-01-10 no_response      -          -
  R8  b16 P4 health               2016-06-15 service_received 2016-06-15 2016-06-15   0
  R9  b17 P4 housing              2016-12-31 referred         -          -
  R10 b18 P4 health               2017-01-05 referred         -          -     (outside)

Targets (indicator, country, period end, baseline, target):
  BEN-2 all 2015-12-31 0 12 · BEN-2 all 2016-12-31 0 20 · BEN-2 MA 2016-12-31 none 7 ·
  TRN-2 all 2016-12-31 0.2 0.6 · CAP-1 TN 2016-12-31 3 3 (target = baseline) ·
  FUP-2 SN 2016-12-31 0.5 0.5 (target = baseline) · COOP-1 all 2016-12-31 0 1
"""

from __future__ import annotations

import datetime as dt
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
    Partner,
    Referral,
    Target,
    TrainingSession,
)
from data_access.scope import Scope
from data_access.vocab import (
    AssistanceKind,
    AssistanceStatus,
    CapacityActivityKind,
    CooperativeStatus,
    InstitutionType,
    Modality,
    ReferralStatus,
    ReturnType,
    Sector,
    ServiceKind,
    Sex,
    TrainingKind,
    Vulnerability,
)

D = dt.date.fromisoformat

# id: (country, region, sex, birth year, return, registration, vulnerabilities, return type)
BENEFICIARIES = {
    1: ("MA", "MA-01", "M", 1985, "2014-11-15", "2015-01-01", (), "assisted"),
    2: ("MA", "MA-01", "F", 1990, "2015-01-20", "2015-03-31", ("single_parent",), "assisted"),
    3: ("MA", "MA-05", "M", 1970, "2015-02-10", "2015-04-01", ("medical",), "spontaneous"),
    4: ("MA", "MA-05", "M", 1995, "2015-03-01", "2015-03-15", (), "assisted"),
    5: ("MA", "MA-05", "F", 1980, "2015-03-01", "2015-03-16", ("trafficking",), "readmitted"),
    6: ("MA", "MA-06", "M", 1999, "2015-05-01", "2015-05-10", ("unaccompanied_minor",),
        "assisted"),
    7: ("MA", "MA-06", "F", 1960, "2015-06-01", "2015-06-15", ("elderly",), "assisted"),
    8: ("MA", None, "M", None, "2016-01-10", "2016-02-29", (), "spontaneous"),
    9: ("TN", "TN-11", "M", 1988, "2015-02-01", "2015-02-15", (), "assisted"),
    10: ("TN", "TN-11", "F", 1992, "2015-04-01", "2015-06-30", ("disability",), "assisted"),
    11: ("TN", "TN-12", "M", 1975, "2015-07-01", "2015-07-01", (), "assisted"),
    12: ("TN", "TN-12", "M", 1983, "2016-03-01", "2016-03-10", (), "readmitted"),
    13: ("TN", "TN-12", "F", 1986, "2016-05-01", "2016-06-01", ("medical",), "assisted"),
    14: ("SN", "SN-DK", "M", 1987, "2015-01-05", "2015-01-10", (), "assisted"),
    15: ("SN", "SN-DK", "M", 1991, "2015-09-01", "2015-10-01", (), "assisted"),
    16: ("SN", "SN-TH", "F", 1984, "2015-09-15", "2015-10-01", ("single_parent",), "assisted"),
    17: ("SN", "SN-TH", "M", 1979, "2016-06-01", "2016-12-31", (), "spontaneous"),
    18: ("SN", "SN-TH", "M", 1993, "2016-11-01", "2017-01-02", (), "assisted"),
}

# id: (name, country, region, sector, registration, status)
COOPERATIVES = {
    1: ("Coopérative Atlas", "MA", "MA-05", "agriculture", "2015-06-30", "operating"),
    2: ("GIE Thiès Élevage", "SN", "SN-TH", "livestock", "2016-01-01", "registered"),
    3: ("Coopérative Ariana", "TN", "TN-12", "trade", None, "in_creation"),
    4: ("Coopérative Ancienne", "MA", "MA-01", "handicraft", "2014-12-31", "dissolved"),
}

# (beneficiary, modality, kind, sector, amount, approved, delivered, cooperative, status)
ASSISTANCE = (
    (1, "individual", "business_grant", "trade", 2000, "2015-02-01", "2015-03-31", None,
     "delivered"),
    (1, "individual", "vocational_training", "services", 500, "2015-05-01", "2015-06-01",
     None, "delivered"),
    (2, "individual", "business_grant", "handicraft", 1500, "2015-04-01", "2015-04-01", None,
     "delivered"),
    (3, "individual", "medical", None, None, "2015-03-01", "2015-03-20", None, "delivered"),
    (3, "individual", "business_grant", "agriculture", 1800, "2015-06-01", "2015-07-15", None,
     "delivered"),
    (4, "collective", "business_grant", "agriculture", 1000, "2015-05-01", "2015-06-30", 1,
     "delivered"),
    (5, "collective", "business_grant", "agriculture", 1000, "2015-05-01", "2015-06-30", 1,
     "delivered"),
    (6, "collective", "business_grant", "agriculture", 1000, "2015-06-01", "2015-07-01", 1,
     "delivered"),
    (7, "individual", "business_grant", "trade", 1200, "2015-07-01", None, None, "cancelled"),
    (8, "individual", "business_grant", "trade", 2500, "2016-02-29", "2016-02-29", None,
     "delivered"),
    (9, "individual", "business_grant", "services", 1600, "2015-03-01", "2015-05-01", None,
     "delivered"),
    (10, "community", "business_grant", "food_processing", 800, "2015-06-01", "2015-10-01",
     None, "delivered"),
    (11, "individual", "business_grant", "livestock", 2200, "2015-08-01", "2015-12-31", None,
     "delivered"),
    (12, "individual", "business_grant", "trade", 1500, "2016-04-01", None, None, "approved"),
    (13, "individual", "housing", None, 600, "2016-06-01", "2016-07-01", None, "delivered"),
    (14, "individual", "business_grant", "fishing", 2000, "2015-02-01", "2015-03-01", None,
     "delivered"),
    (15, "collective", "business_grant", "livestock", 900, "2015-11-01", "2016-01-01", 2,
     "delivered"),
    (16, "collective", "business_grant", "livestock", 900, "2015-11-01", "2016-01-15", 2,
     "delivered"),
    (17, "individual", "business_grant", "handicraft", 1700, "2016-09-01", "2017-01-10", None,
     "delivered"),
)

# id: (country, kind, date, {beneficiary: completed})
TRAINING = {
    1: ("MA", "business_management", "2015-04-01", {1: True, 2: True, 3: False, 4: True}),
    2: ("MA", "personal_development", "2015-06-30", {1: True, 5: False, 6: True}),
    3: ("TN", "job_search", "2015-09-30", {9: True, 10: False, 11: True}),
    4: ("SN", "business_management", "2016-02-29", {14: True, 15: True, 16: False}),
    5: ("MA", "psychosocial_coaching", "2016-10-01", {2: True, 8: False, 3: False}),
}

# (beneficiary, visit date, business operating, jobs created, (economic, social, psycho))
FOLLOW_UPS = (
    (1, "2015-06-30", True, 1, None),
    (1, "2015-10-01", True, 2, (0.5, 0.5, 0.5)),
    (1, "2016-04-01", True, 3, (0.75, 0.5, 0.75)),
    (2, "2015-07-01", True, 1, None),
    (2, "2015-10-01", False, 0, (0.25, 0.25, 0.5)),
    (3, "2015-09-18", True, 2, (0.5, 0.75, 0.25)),
    (3, "2016-03-20", None, None, None),
    (4, "2015-12-31", True, 1, (0.75, 0.75, 0.75)),
    (5, "2015-12-28", True, 1, None),
    (6, "2016-01-01", True, 1, (0.25, 0.5, 0.5)),
    (6, "2016-07-01", True, 2, (0.5, 0.5, 0.75)),
    (8, "2016-08-29", True, 2, (1.0, 0.75, 0.5)),
    (9, "2015-08-01", True, 1, None),
    (9, "2016-05-01", False, 0, (0.25, 0.5, 0.25)),
    (10, "2016-04-01", True, 3, None),
    (11, "2016-12-31", True, 4, (0.75, 1.0, 0.75)),
    (13, "2016-12-30", True, 1, (0.5, 0.25, 0.5)),
    (14, "2015-06-01", True, 1, None),
    (14, "2015-09-01", True, 2, (0.5, 0.5, 0.25)),
    (14, "2016-03-01", False, 0, (0.25, 0.25, 0.25)),
    (14, "2017-01-15", True, 5, None),
    (15, "2016-04-01", True, 1, None),
)

# (country, date, institution, type, activity, people reached)
CAPACITY = (
    ("MA", "2015-01-01", "Ministère des MRE", "national_institution", "sensitisation", 20),
    ("MA", "2015-06-30", "Ministère des MRE", "national_institution", "training", 15),
    ("MA", "2016-02-29", "Commune de Fès", "local_authority", "equipment", None),
    ("TN", "2015-09-30", "ANETI", "technical_agency", "training", 12),
    ("TN", "2016-12-31", "Tunis Solidaire", "civil_society", "sensitisation", 30),
    ("SN", "2016-04-01", "ANPEJ", "technical_agency", "training", 8),
    ("SN", "2016-04-02", "ANPEJ", "technical_agency", "sensitisation", 3),
    ("SN", "2017-01-05", "Mairie de Thiès", "local_authority", "sensitisation", 50),
    ("TN", "2015-03-31", "Ministère des MRE", "national_institution", "sensitisation", 10),
)

# (indicator, country, period end, baseline, target)
TARGETS = (
    ("BEN-2", None, "2015-12-31", 0.0, 12.0),
    ("BEN-2", None, "2016-12-31", 0.0, 20.0),
    ("BEN-2", "MA", "2016-12-31", None, 7.0),
    ("TRN-2", None, "2016-12-31", 0.2, 0.6),
    ("CAP-1", "TN", "2016-12-31", 3.0, 3.0),
    ("FUP-2", "SN", "2016-12-31", 0.5, 0.5),
    ("COOP-1", None, "2016-12-31", 0.0, 1.0),
)

# --- the expected figures, worked out by hand ----------------------------------------
# For each code: "total" is the whole programme (2015-01-01 – 2016-12-31, all countries);
# other keys are breakdowns ("quarter"/"year" = by period at that granularity). Rates are
# fractions. Only groups with data appear (rates: groups with a non-empty denominator).
EXPECTED: dict[str, dict[str, float | dict[str, float]]] = {
    # registered in the programme: all but b18 (2017-01-02)
    "BEN-1": {"total": 17,
              "country": {"MA": 8, "TN": 5, "SN": 4},
              "sex": {"F": 6, "M": 11},  # F: 2 5 7 10 13 16
              # Q1: 1(01-01) 2(03-31) 4 5 9 14; Q2: 3(04-01) 6 7 10(06-30); Q3: 11;
              # Q4: 15 16; 2016Q1: 8(02-29) 12; Q2: 13; Q4: 17(12-31)
              "quarter": {"2015Q1": 6, "2015Q2": 4, "2015Q3": 1, "2015Q4": 2,
                          "2016Q1": 2, "2016Q2": 1, "2016Q4": 1},
              "year": {"2015": 13, "2016": 4}},
    # first delivery in the programme: 1 2 3 4 5 6 8 9 10 11 13 14 15 16 (not 7: cancelled;
    # 12: approved only; 17: delivered 2017; 18: none)
    "BEN-2": {"total": 14,
              "country": {"MA": 7, "TN": 4, "SN": 3},
              "sex": {"M": 9, "F": 5},
              "quarter": {"2015Q1": 3, "2015Q2": 4, "2015Q3": 1, "2015Q4": 2,
                          "2016Q1": 3, "2016Q3": 1},
              "year": {"2015": 10, "2016": 4}},
    # vulnerable assisted: 2 3 5 6 10 13 16
    "BEN-3": {"total": 7 / 14,
              "country": {"MA": 4 / 7, "TN": 2 / 4, "SN": 1 / 3},
              "sex": {"M": 2 / 9, "F": 5 / 5},  # M: 3 6
              "quarter": {"2015Q1": 1 / 3, "2015Q2": 2 / 4, "2015Q3": 1 / 1,
                          "2015Q4": 1 / 2, "2016Q1": 1 / 3, "2016Q3": 1 / 1}},
    # 16 delivered records in the programme (not 9, 14, 19)
    "ASS-1": {"total": 16,
              "country": {"MA": 9, "TN": 4, "SN": 3},
              "modality": {"individual": 10, "collective": 5, "community": 1},
              "sector": {"trade": 2, "services": 2, "handicraft": 1, "unknown": 2,
                         "agriculture": 4, "food_processing": 1, "livestock": 3,
                         "fishing": 1},
              "quarter": {"2015Q1": 3, "2015Q2": 5, "2015Q3": 2, "2015Q4": 2,
                          "2016Q1": 3, "2016Q3": 1}},
    # sum of the 15 known amounts
    "ASS-2": {"total": 20300,
              "country": {"MA": 11300, "TN": 5200, "SN": 3800},
              "modality": {"individual": 14700, "collective": 4800, "community": 800},
              "year": {"2015": 15400, "2016": 4900}},  # 2016: 2500 + 600 + 900 + 900
    # median of 38 50 55 61 61 71 89 | 121 121 122 122 136 183 183 = (89 + 121) / 2
    "ASS-3": {"total": 105,
              "country": {"MA": 71, "TN": 136, "SN": 122},  # TN: 61 89 183 183
              "sex": {"M": 89, "F": 121},
              "quarter": {"2015Q1": 55, "2015Q2": 105, "2015Q3": 61, "2015Q4": 183,
                          "2016Q1": 122, "2016Q3": 61}},  # 2016Q1: 50 122 122
    # C1 2015-06-30 and C2 2016-01-01 (C3 unregistered, C4 2014)
    "COOP-1": {"total": 2,
               "country": {"MA": 1, "SN": 1},
               "sector": {"agriculture": 1, "livestock": 1},
               "quarter": {"2015Q2": 1, "2016Q1": 1}},
    # members 4 5 6 (C1) and 15 16 (C2); groups of BEN-2 without members show 0
    "COOP-2": {"total": 5,
               "country": {"MA": 3, "TN": 0, "SN": 2},
               "quarter": {"2015Q1": 0, "2015Q2": 2, "2015Q3": 1, "2015Q4": 0,
                           "2016Q1": 2, "2016Q3": 0}},
    # memberships (returnee, the cooperative's sector) by the first delivery to such a
    # cooperative: b4 agriculture 2015-06-30 (C1), b5 agriculture 2015-06-30, b6
    # agriculture 2015-07-01, b15 livestock 2016-01-01 (C2), b16 livestock 2016-01-15.
    # Here each cooperative's sector is its members' assistance sector and no returnee is
    # in two sectors, so it equals COOP-2 by sector; only groups with members appear.
    "COOP-3": {"total": 5,
               "country": {"MA": 3, "SN": 2},
               "sex": {"M": 3, "F": 2},  # M: 4 6 15; F: 5 16
               "sector": {"agriculture": 3, "livestock": 2},
               "quarter": {"2015Q2": 2, "2015Q3": 1, "2016Q1": 2},
               "year": {"2015": 3, "2016": 2}},
    # completed: 1 2 4 6 9 11 14 15
    "TRN-1": {"total": 8,
              "country": {"MA": 4, "TN": 2, "SN": 2},
              "kind": {"business_management": 5, "personal_development": 2,
                       "job_search": 2, "psychosocial_coaching": 1},
              "quarter": {"2015Q2": 4, "2015Q3": 2, "2016Q1": 2, "2016Q4": 1},
              "year": {"2015": 6, "2016": 3}},  # b2 trained in both years
    # Of the returnees assisted by the period end (first delivery on or before it), those
    # with a completed session on or before it. By 2016-12-31: assisted 1 2 3 4 5 6 8 9 10
    # 11 13 14 15 16; trained 1 2 4 6 9 11 14 15 (all assisted).
    "TRN-2": {"total": 8 / 14,
              "country": {"MA": 4 / 7, "TN": 2 / 4, "SN": 2 / 3},  # MA 1 2 4 6 of 1-6 8
              "sex": {"M": 7 / 9, "F": 1 / 5},  # M 1 4 6 9 11 14 15 of 1 3 4 6 8 9 11 14 15
              # 2015Q1: assisted 1 3 14 (to 03-31), S1 is 04-01: 0 / 3. Q2: + 2 4 5 9, S1
              # (b1 b2 b4) and S2 06-30 (b1; b6 is assisted 07-01): 3 / 7. Q3: + 6, S3 09-30
              # (b9; b11 is assisted 12-31): 5 / 8 (trained in Q3 ÷ assisted in Q3 was
              # 2 / 1 = 200 %). Q4: + 10 11: 6 / 10. 2016Q1: + 15 16 8, S4 (b14 b15):
              # 8 / 13; Q2 the same; Q3: + 13: 8 / 14; Q4: S5 adds nobody new (b2).
              "quarter": {"2015Q1": 0 / 3, "2015Q2": 3 / 7, "2015Q3": 5 / 8,
                          "2015Q4": 6 / 10, "2016Q1": 8 / 13, "2016Q2": 8 / 13,
                          "2016Q3": 8 / 14, "2016Q4": 8 / 14},
              "year": {"2015": 6 / 10, "2016": 8 / 14}},
    # 16 attendances, 10 completed
    "TRN-3": {"total": 10 / 16,
              "country": {"MA": 6 / 10, "TN": 2 / 3, "SN": 2 / 3},
              "kind": {"business_management": 5 / 7, "personal_development": 2 / 3,
                       "job_search": 2 / 3, "psychosocial_coaching": 1 / 3},
              "sex": {"M": 8 / 11, "F": 2 / 5},
              "quarter": {"2015Q2": 5 / 7, "2015Q3": 2 / 3, "2016Q1": 2 / 3,
                          "2016Q4": 1 / 3}},
    # due (first delivery ≤ 2016-07-02): all 14 BEN-2; covered: all but 5 (181 days),
    # 15 (91 days), 16 (no visit). 2015: due by 2015-07-02: 1 2 3 4 5 6 9 14, covered
    # in 2015: 1 2 3 4 14. 2016: all 14 due, covered in 2016: 1 3 6 8 9 10 11 13 14.
    "FUP-1": {"total": 11 / 14,
              "country": {"MA": 6 / 7, "TN": 4 / 4, "SN": 1 / 3},
              "sex": {"M": 8 / 9, "F": 3 / 5},
              "year": {"2015": 5 / 8, "2016": 9 / 14}},
    # visited ≥ 182 days with operating recorded: 1 2 3 4 6 8 9 10 11 13 14; latest finds
    # closed: 2 9 14 (b3's latest recorded answer is 2015-09-18: the 2016 visit has none)
    "FUP-2": {"total": 8 / 11,
              "country": {"MA": 5 / 6, "TN": 3 / 4, "SN": 0 / 1},
              "modality": {"individual": 5 / 8, "collective": 2 / 2, "community": 1 / 1},
              "year": {"2015": 4 / 5, "2016": 6 / 8}},
    # visited ≥ 365 days with operating recorded: 1 6 9 11 14; operating: 1 6 11
    "FUP-2-12M": {"total": 3 / 5,
                  "country": {"MA": 2 / 2, "TN": 1 / 2, "SN": 0 / 1}},
    # latest jobs: 1:3 2:0 3:2 4:1 5:1 6:2 8:2 9:0 10:3 11:4 13:1 14:0 15:1
    "FUP-3": {"total": 20,
              "country": {"MA": 11, "TN": 8, "SN": 1},
              "modality": {"individual": 12, "collective": 5, "community": 3},
              "year": {"2015": 9, "2016": 16}},
    # latest scored: sums 1:2.0 2:1.0 3:1.5 4:2.25 6:1.75 8:2.25 9:1.0 11:2.5 13:1.25 14:0.75
    # composite mean = 16.25 / 30; composite ≥ 0.5: 1 3 4 6 8 11
    "FUP-4": {"total": 16.25 / 30,
              "country": {"MA": 10.75 / 18, "TN": 4.75 / 9, "SN": 0.75 / 3},
              "sex": {"M": 14.0 / 24, "F": 2.25 / 6},
              # 2015: 1:1.5 2:1.0 3:1.5 4:2.25 14:1.25; 2016: 1:2.0 6:1.75 8:2.25 9:1.0
              # 11:2.5 13:1.25 14:0.75
              "year": {"2015": 7.5 / 15, "2016": 11.5 / 21}},
    # distinct (country, institution): MA 2, TN 3, SN 1
    "CAP-1": {"total": 6,
              "country": {"MA": 2, "TN": 3, "SN": 1},
              "institution_type": {"national_institution": 2, "local_authority": 1,
                                   "technical_agency": 2, "civil_society": 1},
              "activity": {"sensitisation": 4, "training": 3, "equipment": 1},
              "quarter": {"2015Q1": 2, "2015Q2": 1, "2015Q3": 1, "2016Q1": 1,
                          "2016Q2": 1, "2016Q4": 1},
              "year": {"2015": 3, "2016": 3}},
    "CAP-2": {"total": 98,
              "country": {"MA": 35, "TN": 52, "SN": 11},
              "activity": {"sensitisation": 63, "training": 35, "equipment": 0},
              "quarter": {"2015Q1": 30, "2015Q2": 15, "2015Q3": 12, "2016Q1": 0,
                          "2016Q2": 11, "2016Q4": 30}},
    # R1…R9 (R10 is 2017). MA R1-R4, TN R5 R6, SN R7-R9; M: R1 R3 R4 R5 R7 R9 (b1 b3 b3
    # b9 b14 b17), F: R2 R6 R8 (b2 b10 b16).
    "REF-1": {"total": 9,
              "country": {"MA": 4, "TN": 2, "SN": 3},
              "sex": {"M": 6, "F": 3},
              "partner": {"ANAPEC": 2, "Association Amal": 2, "ANETI": 2,
                          "Mairie de Dakar": 3},
              "service": {"employment": 3, "psychosocial": 2, "vocational_training": 1,
                          "housing": 2, "health": 1},
              "quarter": {"2015Q1": 1, "2015Q2": 2, "2015Q3": 1, "2015Q4": 1, "2016Q1": 2,
                          "2016Q2": 1, "2016Q4": 1},
              "year": {"2015": 5, "2016": 4}},
    # received: R1 R2 R4 R5 R8 of the 9 made in the period (by referral date)
    "REF-2": {"total": 5 / 9,
              "country": {"MA": 3 / 4, "TN": 1 / 2, "SN": 1 / 3},
              "partner": {"ANAPEC": 1 / 2, "Association Amal": 2 / 2, "ANETI": 1 / 2,
                          "Mairie de Dakar": 1 / 3},
              "service": {"employment": 2 / 3, "psychosocial": 2 / 2,
                          "vocational_training": 0 / 1, "housing": 0 / 2, "health": 1 / 1},
              "quarter": {"2015Q1": 0 / 1, "2015Q2": 2 / 2, "2015Q3": 0 / 1, "2015Q4": 1 / 1,
                          "2016Q1": 1 / 2, "2016Q2": 1 / 1, "2016Q4": 0 / 1}},
    # days to service, by the service date: R1 20 (2015-04-21), R2 10 (2015-07-10),
    # R5 30 (2016-01-30), R4 32 (2016-04-01), R8 0 (2016-06-15): 0 10 20 30 32 → 20
    "REF-3": {"total": 20,
              "country": {"MA": 20, "TN": 30, "SN": 0},  # MA: 10 20 32
              "partner": {"ANAPEC": 20, "Association Amal": 21, "ANETI": 30,
                          "Mairie de Dakar": 0},  # Amal: 10 32
              "quarter": {"2015Q2": 20, "2015Q3": 10, "2016Q1": 30, "2016Q2": 16},
              "year": {"2015": 15, "2016": 30}},
}

# Secondary measures of the whole programme, by hand.
EXPECTED_MEASURES: dict[tuple[str, str], float] = {
    ("BEN-3", "numerator"): 7, ("BEN-3", "denominator"): 14,
    ("ASS-2", "mean"): 1353.33, ("ASS-2", "records"): 15,  # 20300 / 15
    ("ASS-3", "beneficiaries"): 14,
    ("COOP-2", "share"): 5 / 14,
    ("TRN-3", "numerator"): 10, ("TRN-3", "denominator"): 16,
    ("FUP-1", "numerator"): 11, ("FUP-1", "denominator"): 14,
    ("FUP-2", "numerator"): 8, ("FUP-2", "denominator"): 11,
    ("FUP-4", "economic"): 5.5 / 10, ("FUP-4", "social"): 5.5 / 10,
    ("FUP-4", "psychosocial"): 5.25 / 10, ("FUP-4", "sustainable_share"): 6 / 10,
    ("FUP-4", "beneficiaries"): 10,
    ("REF-2", "numerator"): 5, ("REF-2", "denominator"): 9,
    ("REF-3", "records"): 5,
}

# progress() for the whole programme: (indicator, country) → (actual, achieved, status)
EXPECTED_PROGRESS: dict[tuple[str, str | None, str], tuple[float, float, str]] = {
    ("BEN-2", None, "2015-12-31"): (10, 10 / 12, "at risk"),
    ("BEN-2", None, "2016-12-31"): (14, 14 / 20, "at risk"),
    ("BEN-2", "MA", "2016-12-31"): (7, 1.0, "on track"),  # no baseline: 0
    ("TRN-2", None, "2016-12-31"): (8 / 14, (8 / 14 - 0.2) / 0.4, "on track"),  # 0.93
    ("CAP-1", "TN", "2016-12-31"): (3, 1.0, "on track"),  # target = baseline, reached
    ("FUP-2", "SN", "2016-12-31"): (0.0, 0.0, "off track"),  # target = baseline, missed
    ("COOP-1", None, "2016-12-31"): (2, 2.0, "on track"),  # above target
}


# id: (country, name, institution type, services)
PARTNERS = {
    1: ("MA", "Association Amal", "civil_society", "employment;psychosocial"),
    2: ("MA", "ANAPEC", "national_institution", "employment;vocational_training"),
    3: ("TN", "ANETI", "technical_agency", "employment"),
    4: ("SN", "Mairie de Dakar", "local_authority", "health;housing"),
}
ASSISTANCE_PARTNER = {6: 1, 7: 1, 8: 1, 12: 3}  # assistance row number (1-based) → partner
COOPERATIVE_PARTNER = {1: 1}  # C1 → Association Amal
SESSION_PARTNER = {2: 1}  # S2 → Association Amal
FOLLOW_UP_PARTNER = {(4, "2015-12-31"): 1}
# (ben, partner, service, referred, status, accepted, service received)
REFERRALS = (
    (1, 2, "employment", "2015-04-01", "service_received", "2015-04-05", "2015-04-21"),
    (2, 1, "psychosocial", "2015-06-30", "service_received", "2015-07-01", "2015-07-10"),
    (3, 2, "vocational_training", "2015-09-30", "accepted", "2015-10-02", None),
    (3, 1, "psychosocial", "2016-02-29", "service_received", None, "2016-04-01"),
    (9, 3, "employment", "2015-12-31", "service_received", None, "2016-01-30"),
    (10, 3, "employment", "2016-03-01", "declined", None, None),
    (14, 4, "housing", "2015-01-10", "no_response", None, None),
    (16, 4, "health", "2016-06-15", "service_received", "2016-06-15", "2016-06-15"),
    (17, 4, "housing", "2016-12-31", "referred", None, None),
    (18, 4, "health", "2017-01-05", "referred", None, None),
)


def build_fixture(url: str) -> None:
    """Insert the fixture into the empty, migrated database at ``url``."""
    with db.session(url, Scope.everything()) as session:
        session.add_all(_beneficiaries())
        session.add_all([Partner(id=i, country=country, name=name,
                                 institution_type=InstitutionType(kind), services=services)
                         for i, (country, name, kind, services) in PARTNERS.items()])
        session.flush()
        session.add_all([Cooperative(
            id=i, name=name, country=country, region=region, sector=Sector(sector),
            registration_date=D(reg) if reg else None, status=CooperativeStatus(status),
            partner_id=COOPERATIVE_PARTNER.get(i),
            partner=PARTNERS[COOPERATIVE_PARTNER[i]][1] if i in COOPERATIVE_PARTNER else None)
            for i, (name, country, region, sector, reg, status) in COOPERATIVES.items()])
        session.flush()
        session.add_all(_assistance())
        session.add_all(_training())
        session.flush()
        session.add_all(_facts())
        session.add_all([Referral(
            beneficiary_id=ben, country=_country(ben), partner_id=partner,
            service=ServiceKind(service), referral_date=D(day),
            status=ReferralStatus(status), accepted_date=D(acc) if acc else None,
            service_date=D(served) if served else None)
            for ben, partner, service, day, status, acc, served in REFERRALS])


def _country(beneficiary: int) -> str:
    return BENEFICIARIES[beneficiary][0]


def _beneficiaries() -> list[Beneficiary]:
    rows = []
    for i, (country, region, sex, born, ret, reg, vulns, rtype) in BENEFICIARIES.items():
        ben = Beneficiary(id=i, case_number=f"{country}-{i:03d}", country=country,
                          region=region, sex=Sex(sex), birth_year=born, return_date=D(ret),
                          registration_date=D(reg), return_type=ReturnType(rtype),
                          host_country="FR")
        ben.vulnerabilities = [BeneficiaryVulnerability(vulnerability=Vulnerability(v),
                                                        country=country) for v in vulns]
        rows.append(ben)
    return rows


def _assistance() -> list[Assistance]:
    return [Assistance(
        beneficiary_id=ben, country=_country(ben), modality=Modality(modality),
        kind=AssistanceKind(kind), sector=Sector(sector) if sector else None,
        amount_eur=Decimal(amount) if amount is not None else None,
        approved_date=D(approved), delivered_date=D(delivered) if delivered else None,
        cooperative_id=coop, status=AssistanceStatus(status),
        partner_id=ASSISTANCE_PARTNER.get(number))
        for number, (ben, modality, kind, sector, amount, approved, delivered, coop, status)
        in enumerate(ASSISTANCE, start=1)]


def _training() -> list[TrainingSession | Attendance]:
    rows: list[TrainingSession | Attendance] = []
    for i, (country, kind, day, attendance) in TRAINING.items():
        rows.append(TrainingSession(id=i, country=country, kind=TrainingKind(kind),
                                    session_date=D(day), provider=f"Provider {i}",
                                    partner_id=SESSION_PARTNER.get(i)))
        rows += [Attendance(session_id=i, beneficiary_id=ben, country=_country(ben),
                            completed=done) for ben, done in attendance.items()]
    return rows


def _facts() -> list[FollowUp | CapacityActivity | Target]:
    rows: list[FollowUp | CapacityActivity | Target] = []
    for ben, day, operating, jobs, scores in FOLLOW_UPS:
        economic, social, psycho = scores or (None, None, None)
        rows.append(FollowUp(beneficiary_id=ben, country=_country(ben), visit_date=D(day),
                             business_operating=operating, jobs_created=jobs,
                             score_economic=economic, score_social=social,
                             score_psychosocial=psycho,
                             partner_id=FOLLOW_UP_PARTNER.get((ben, day))))
    rows += [CapacityActivity(country=c, activity_date=D(day), institution=name,
                              institution_type=InstitutionType(kind),
                              activity=CapacityActivityKind(act), people_reached=people)
             for c, day, name, kind, act, people in CAPACITY]
    rows += [Target(indicator=code, country=c, period_end=D(end), baseline=base, target=t)
             for code, c, end, base, t in TARGETS]
    return rows
