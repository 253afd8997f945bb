"""The demo's partners and referrals (issue 21), calibrated on the seeds: in Morocco a
network of associations formed and followed the cooperatives; in all three countries
returnees are referred to national institutions, local authorities, technical agencies and
civil-society organisations for health care, housing, employment services, vocational
training and psychosocial support (the "mécanisme national de suivi et de référencement").

Drawn from a random generator of its own (seeded from the demo's seed), after every other
table is made, and only *adding* columns (``partner_id``) to the cooperatives and their
members' assistance: every other table and column is exactly what it was, so every figure
of the demo other than the referral indicators is unchanged.
"""

from __future__ import annotations

import numpy as np

from demo.columns import NULL_DAY, Dates, Table, with_timestamps
from demo.profile import World

# country: (name, institution type, services ;-separated), besides the profile's
# associations (civil society, the cooperatives' partners)
INSTITUTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "MA": (("ANAPEC", "national_institution", "employment"),
           ("OFPPT", "technical_agency", "vocational_training"),
           ("Entraide Nationale", "national_institution", "housing;vocational_training"),
           ("Délégation régionale de la Santé", "national_institution", "health"),
           ("Commune urbaine de Fès", "local_authority", "housing;other"),
           ("Centre d'écoute psychosocial", "civil_society", "psychosocial;legal")),
    "TN": (("ANETI", "technical_agency", "employment"),
           ("ATFP", "technical_agency", "vocational_training"),
           ("Direction régionale de la Santé", "national_institution", "health"),
           ("Municipalité de Tunis", "local_authority", "housing"),
           ("Terre d'Asile Tunisie", "civil_society", "psychosocial;legal")),
    "SN": (("ANPEJ", "technical_agency", "employment"),
           ("ONFP", "technical_agency", "vocational_training"),
           ("District sanitaire de Dakar", "national_institution", "health"),
           ("Mairie de Dakar", "local_authority", "housing"),
           ("Centre Kër Yaakaar", "civil_society", "psychosocial;legal")),
}
# A country of another programme (no calibrated list): one partner of each kind.
GENERIC_INSTITUTIONS: tuple[tuple[str, str, str], ...] = (
    ("National employment agency", "national_institution", "employment"),
    ("Vocational training agency", "technical_agency", "vocational_training"),
    ("Regional health directorate", "national_institution", "health"),
    ("Municipality", "local_authority", "housing;other"),
    ("Psychosocial support centre", "civil_society", "psychosocial;legal"))
ASSOCIATION_SERVICES = "psychosocial;employment"
SERVICES = {"employment": 0.30, "vocational_training": 0.20, "psychosocial": 0.20,
            "health": 0.15, "housing": 0.10, "legal": 0.05}
REFERRED_SHARE = 0.40  # of the registered returnees, referred at least once
SECOND_SHARE = 0.25  # of those, referred a second time
# What became of a referral (before the dates cut it at the programme's end)
OUTCOMES = {"service_received": 0.58, "accepted": 0.12, "declined": 0.10,
            "no_response": 0.12, "referred": 0.08}


def add(tables: list[Table], seed: int, world: World) -> list[Table]:
    """``tables`` with the partner table first, the cooperatives' and their assistance's
    partner, and the referral table last; for ``world``'s countries and period."""
    rng = np.random.default_rng([seed, 21])
    by_name = {t.name: t for t in tables}
    rows: list[tuple[str, str, str, str]] = []  # country, name, type, services
    for profile in world.profiles:
        institutions = INSTITUTIONS.get(profile.code, GENERIC_INSTITUTIONS)
        also = {inst[0]: inst[2] for inst in institutions}
        rows += [(profile.code, name, "civil_society", ";".join(sorted(set(
            ASSOCIATION_SERVICES.split(";")) | set(also.get(name, "").split(";")) - {""})))
            for name in profile.partners]
        rows += [(profile.code, *inst) for inst in institutions
                 if inst[0] not in profile.partners]
    ids = {(country, name): i for i, (country, name, _t, _s) in enumerate(rows, start=1)}
    partner = Table("partner", with_timestamps({
        "id": np.arange(1, len(rows) + 1, dtype=np.int64),
        "country": np.array([r[0] for r in rows], dtype=object),
        "name": np.array([r[1] for r in rows], dtype=object),
        "institution_type": np.array([r[2] for r in rows], dtype=object),
        "services": np.array([r[3] for r in rows], dtype=object),
        "record_key": rng.integers(0, 2**20, len(rows), dtype=np.int64),
    }, np.zeros(len(rows), dtype=np.int64), world.start))

    coop = by_name["cooperative"]
    coop_partner = np.array([ids[(c, p)] for c, p in zip(
        np.asarray(coop.columns["country"]), np.asarray(coop.columns["partner"]),
        strict=True)], dtype=np.int64)
    coops = Table("cooperative", {**coop.columns, "partner_id": coop_partner})
    assistance = by_name["assistance"]
    coop_ids = np.asarray(assistance.columns["cooperative_id"])
    of_coop = np.empty(len(coop_ids), dtype=object)
    of_coop[:] = [None if c is None else int(coop_partner[int(c) - 1]) for c in coop_ids]
    assistance = Table("assistance", {**assistance.columns, "partner_id": of_coop})

    referrals = _referrals(rng, by_name["beneficiary"], rows, ids, world)
    out = [partner]
    for table in tables:
        out.append(coops if table.name == "cooperative" else
                   assistance if table.name == "assistance" else table)
    return [*out, referrals]


def _referrals(rng: np.random.Generator, ben: Table, partners: list[tuple[str, str, str, str]],
               ids: dict[tuple[str, str], int], world: World) -> Table:
    last_day = world.last_day
    countries = np.asarray(ben.columns["country"], dtype=object)
    registered = ben.columns["registration_date"]
    assert isinstance(registered, Dates)
    n = len(countries)
    referred = np.flatnonzero(rng.random(n) < REFERRED_SHARE)
    again = referred[rng.random(len(referred)) < SECOND_SHARE]
    who = np.concatenate([referred, again])
    k = len(who)
    service = np.array(list(SERVICES), dtype=object)[
        rng.choice(len(SERVICES), k, p=np.array(list(SERVICES.values())))]
    offering: dict[tuple[str, str], list[int]] = {}
    for country, name, _type, services in partners:
        for s in services.split(";"):
            offering.setdefault((country, s), []).append(ids[(country, name)])
    partner = np.array([rng.choice(offering[(str(countries[b]), str(s))])
                        for b, s in zip(who, service, strict=True)], dtype=np.int64)
    start = registered.days[who]
    day = np.minimum(start + rng.integers(0, 120, k), last_day)
    outcome = np.array(list(OUTCOMES), dtype=object)[
        rng.choice(len(OUTCOMES), k, p=np.array(list(OUTCOMES.values())))]
    accepted = day + rng.integers(1, 10, k)
    served = accepted + rng.integers(2, 60, k)
    has_accept = np.isin(outcome, ("service_received", "accepted")) & (accepted <= last_day)
    received = (outcome == "service_received") & (served <= last_day)
    # a service not yet received by the end of the programme is still "accepted"
    outcome = np.where((outcome == "service_received") & ~received, "accepted", outcome)
    outcome = np.where(np.isin(outcome, ("accepted",)) & ~has_accept, "referred", outcome)
    # the second referral of a returnee is to another service or partner on another day:
    # keep one per (returnee, partner, service, day), the template's key
    key: dict[tuple[int, int, str, int], int] = {}
    for i, (b, p, s, d) in enumerate(zip(who.tolist(), partner.tolist(), service.tolist(),
                                         day.tolist(), strict=True)):
        key.setdefault((b, p, s, d), i)
    keep = np.array(sorted(key.values()), dtype=np.int64)
    bid = np.asarray(ben.columns["id"])[who[keep]]
    return Table("referral", with_timestamps({
        "id": np.arange(1, len(keep) + 1, dtype=np.int64),
        "beneficiary_id": bid,
        "country": countries[who[keep]],
        "partner_id": partner[keep],
        "service": service[keep],
        "referral_date": Dates(day[keep], world.start),
        "status": outcome[keep].astype(object),
        "accepted_date": Dates(np.where(has_accept, accepted, NULL_DAY)[keep], world.start),
        "service_date": Dates(np.where(received, served, NULL_DAY)[keep], world.start),
    }, day[keep], world.start))



