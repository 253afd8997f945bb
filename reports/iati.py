"""The programme's results as an IATI activity file (IATI activity standard 2.03, issue 20).

One ``<iati-activity>`` whose identity (identifier, reporting and participating
organisations, status, countries) comes from a small YAML file (``exports/
iati_activity.yaml``, the ``IATI_ACTIVITY_FILE`` setting) and whose results come from
the logframe (``metrics.targets.progress``), read in the session it is given:

- one ``<result>`` per outcome or output of that file (type 1 output, 2 outcome, …);
- one ``<indicator>`` per indicator with a target: ``measure`` 1 (unit) or 2 (percentage,
  rates as 0–100), ``ascending`` 0 for days (fewer is better), title and definition in
  English and French (``xml:lang``);
- a ``<baseline>`` per logframe line (programme-wide, or one country: ``<dimension
  name="country">``) with a baseline;
- a ``<period>`` per target stretch (from the day after the previous target's end, or the
  programme start, to the target's period end) with a ``<target value>`` and an
  ``<actual value>`` per line. As in the logframe, the actual is cumulated from the
  programme start to the period end (each indicator's description says so).

Disclosure: every figure comes from ``metrics`` in the session's scope, so in a donor
(aggregates-only) session — the only one ``manage.py export`` and the Targets page use —
the actuals are the donor's protected figures: rounded, and a hidden one is an
``<actual>`` without a value whose comment says "<5" or "hidden (n<5)". Baselines and
targets are the logframe's plans, not counts of people, and are published as written.

``validate`` checks a file against the IATI 2.03 activity schema shipped in
``reports/iati_schema`` (see its LICENSE); ``build`` refuses to return a file that fails.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from lxml import etree
from sqlalchemy.orm import Session

from data_access.lookups import reporting_currency
from i18n import N_, _, language
from metrics import catalogue, targets
from metrics.filters import Filters, programme_end, programme_start

SCHEMA_DIR = Path(__file__).resolve().parent / "iati_schema"
VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGES = ("en", "fr")  # the activity's default language first
OTHER = {"type": "1", "title": {"en": "Other indicators", "fr": "Autres indicateurs"}}


class IatiError(ValueError):
    """An activity file that cannot be used, or an exported file the schema refuses."""


@dataclass(frozen=True)
class Built:
    """An IATI file and what the reader of the export should be told."""

    content: bytes
    warnings: tuple[str, ...]
    hidden: int  # actuals left without a value by the disclosure rules


def load_activity(path: Path) -> dict[str, Any]:
    """The activity description file (YAML), with the fields ``build`` needs checked."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IatiError(f"cannot read the IATI activity file {path}: "
                        f"{type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise IatiError(f"{path}: expected a mapping of fields")
    missing = [k for k in ("reporting_org", "activity", "participating_orgs", "results")
               if not data.get(k)]
    if missing:
        raise IatiError(f"{path}: missing {', '.join(missing)}")
    org = data["reporting_org"]
    if not isinstance(org, dict) or not org.get("ref") or not org.get("type"):
        raise IatiError(f"{path}: reporting_org needs ref and type")
    return data


def _texts(value: Any, fallback: str = "") -> dict[str, str]:
    """A text in each language: a mapping {en: …, fr: …} or one text for both."""
    if isinstance(value, dict):
        texts = {lang: str(value[lang]) for lang in LANGUAGES if value.get(lang)}
    elif value:
        texts = {LANGUAGES[0]: str(value)}
    else:
        texts = {LANGUAGES[0]: fallback} if fallback else {}
    return texts


def _narratives(parent: etree._Element, texts: dict[str, str]) -> etree._Element:
    for lang in LANGUAGES:
        if lang in texts:
            narrative = etree.SubElement(parent, "narrative")
            if lang != LANGUAGES[0]:
                narrative.set(XML_LANG, lang)
            narrative.text = texts[lang]
    return parent


def _translated(message: str, **values: object) -> dict[str, str]:
    """``message`` (an English source string, marked where it is written) in each language."""
    result = {}
    for lang in LANGUAGES:
        with language(lang):
            result[lang] = _(message).format(**values) if values else _(message)
    return result


def _number(value: float) -> str:
    """A figure as IATI writes a value: plain decimal, no exponent, no trailing zeros."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _scaled(value: float, kind: str) -> float:
    return value * 100 if kind == "rate" else value


def _dimension(parent: etree._Element, country: object) -> None:
    if isinstance(country, str) and country:
        etree.SubElement(parent, "dimension", name="country", value=country)


def _indicator_element(result: etree._Element, code: str, rows: pd.DataFrame,
                       notes: dict[tuple[str, str, dt.date], str]) -> int:
    """One ``<indicator>`` for ``code`` from its logframe rows; returns the hidden actuals."""
    spec = catalogue.get(code)
    indicator = etree.SubElement(result, "indicator",
                                 measure="2" if spec.kind == "rate" else "1",
                                 ascending="0" if spec.kind == "days" else "1")
    title = {lang: f"{code} {text}" for lang, text in _translated(spec.title).items()}
    _narratives(etree.SubElement(indicator, "title"), title)
    unit = _translated(spec.unit)
    definition = _translated(spec.definition)
    description = {lang: _translated(N_(
        "{definition} ({unit}). Actual values are cumulated from the programme start to "
        "the end of each period; targets are cumulative too."),
        definition=definition[lang], unit=unit[lang])[lang] for lang in LANGUAGES}
    _narratives(etree.SubElement(indicator, "description"), description)
    etree.SubElement(indicator, "reference", vocabulary="99", code=code)
    for line in sorted(set(rows["line"])):
        first = rows[rows["line"] == line].sort_values("period_end")
        baseline = first["baseline"].iloc[0]
        if baseline is None or (isinstance(baseline, float) and math.isnan(baseline)):
            continue
        element = etree.SubElement(indicator, "baseline",
                                   year=str(programme_start().year - 1),
                                   value=_number(_scaled(float(baseline), spec.kind)))
        element.set("iso-date", (programme_start() - dt.timedelta(days=1)).isoformat())
        _dimension(element, line)
    stretches = rows.assign(_start=rows["start"], _end=rows["period_end"])
    hidden = 0
    for (start, end), group in stretches.groupby(["_start", "_end"], sort=True):
        period = etree.SubElement(indicator, "period")
        etree.SubElement(period, "period-start").set("iso-date", start.isoformat())
        etree.SubElement(period, "period-end").set("iso-date", end.isoformat())
        ordered = group.sort_values("line")
        for _index, row in ordered.iterrows():
            target = etree.SubElement(period, "target",
                                      value=_number(_scaled(float(row["target"]), spec.kind)))
            _dimension(target, row["line"])
        for _index, row in ordered.iterrows():
            actual = etree.SubElement(period, "actual")
            value = row["actual"]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                hidden += 1
                _dimension(actual, row["line"])
                note = notes.get((code, row["line"], end), "") or "<5"
                if note.startswith("hidden"):  # "hidden (n<5)": its basis is small
                    comment = _translated(N_(
                        "Not published: fewer than {n} behind this figure (small counts "
                        "are not disclosed)"), n=note.rpartition("<")[2].rstrip(")"))
                else:
                    comment = _translated(
                        N_("Not published: {note} (small counts are not disclosed)"),
                        note=note)
                _narratives(etree.SubElement(actual, "comment"), comment)
                continue
            actual.set("value", _number(_scaled(float(value), spec.kind)))
            _dimension(actual, row["line"])
    return hidden


def _logframe(session: Session) -> tuple[pd.DataFrame, dict[tuple[str, str, dt.date], str]]:
    """Every target of the scope with its stretch start and its cumulative actual (the
    whole programme, so each actual runs to its own period end), and the disclosure note
    of each hidden actual."""
    from sqlalchemy import select

    from data_access.models import Target
    from metrics.engine import compute

    whole = Filters(programme_start(), max(programme_end(), _last_end(session)))
    rows = targets.progress(session, whole)
    all_targets = list(session.scalars(select(Target)))
    lines = targets.stretches(all_targets)
    starts = {(t.indicator.upper(), t.country, t.period_end):
              lines[t.id].start + dt.timedelta(days=1) for t in all_targets}
    # "line": the logframe line, a country code or "" for the programme-wide targets
    rows = rows.assign(line=[c if isinstance(c, str) else "" for c in rows["country"]])
    rows = rows.assign(start=[starts[(i, c or None, e)] for i, c, e in zip(
        rows["indicator"], rows["line"], rows["period_end"], strict=True)])
    notes: dict[tuple[str, str, dt.date], str] = {}
    for _index, row in rows[rows["actual"].isna()].iterrows():
        period = Filters(programme_start(), row["as_of"], (row["line"],) if row["line"] else ())
        frame = compute(row["indicator"], session, period)
        notes[(row["indicator"], row["line"], row["period_end"])] = str(
            frame["value_note"].iloc[0] or "")
    return rows, notes


def _last_end(session: Session) -> dt.date:
    from sqlalchemy import func, select

    from data_access.models import Target

    last = session.scalar(select(func.max(Target.period_end)))
    return last or programme_end()


def build(session: Session, activity: dict[str, Any], *, programme: str,
          generated: dt.datetime | None = None) -> Built:
    """The IATI activity file of the session's scope (a donor session for anything that
    leaves the organisation), validated against the 2.03 schema."""
    generated = (generated or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    stamp = generated.isoformat().replace("+00:00", "Z")
    rows, notes = _logframe(session)
    warnings: list[str] = []
    root = etree.Element("iati-activities", version=VERSION)
    root.set("generated-datetime", stamp)
    act = etree.SubElement(root, "iati-activity", {XML_LANG: LANGUAGES[0]})
    act.set("last-updated-datetime", stamp)
    act.set("default-currency", reporting_currency())
    org = activity["reporting_org"]
    etree.SubElement(act, "iati-identifier").text = f"{org['ref']}-{activity['activity']}"
    _narratives(etree.SubElement(act, "reporting-org", ref=str(org["ref"]),
                                 type=str(org["type"])), _texts(org.get("name"), org["ref"]))
    _narratives(etree.SubElement(act, "title"), _texts(activity.get("title"), programme))
    _narratives(etree.SubElement(act, "description", type="1"),
                _texts(activity.get("description"), programme))
    for participant in activity["participating_orgs"]:
        element = etree.SubElement(act, "participating-org", role=str(participant["role"]))
        for attribute in ("ref", "type"):
            if participant.get(attribute):
                element.set(attribute, str(participant[attribute]))
        _narratives(element, _texts(participant.get("name")))
    etree.SubElement(act, "activity-status", code=str(activity.get("activity_status", "2")))
    etree.SubElement(act, "activity-date", type="1").set("iso-date",
                                                         programme_start().isoformat())
    etree.SubElement(act, "activity-date", type="3").set("iso-date",
                                                         programme_end().isoformat())
    countries = activity.get("recipient_countries") or {}
    for code, share in countries.items():
        element = etree.SubElement(act, "recipient-country", code=str(code))
        if share is not None and len(countries) > 1:
            element.set("percentage", _number(float(share)))
    listed: dict[str, int] = {}
    results = [dict(r) for r in activity["results"]]
    for index, result in enumerate(results):
        for code in result.get("indicators") or ():
            listed.setdefault(str(code).upper(), index)
    codes = sorted(set(rows["indicator"]), key=lambda c: [s.code for s in
                                                          catalogue.CATALOGUE].index(c))
    unlisted = [c for c in codes if c not in listed]
    if unlisted:
        warnings.append("indicators in no result of the activity file, published under "
                        f"\"Other indicators\": {', '.join(unlisted)}")
        results.append(dict(OTHER, indicators=unlisted))
        for code in unlisted:
            listed[code] = len(results) - 1
    hidden = 0
    for index, result in enumerate(results):
        mine = [c for c in codes if listed[c] == index]
        if not mine:
            continue
        element = etree.SubElement(act, "result", type=str(result.get("type", "1")))
        element.set("aggregation-status", "0")
        _narratives(etree.SubElement(element, "title"), _texts(result.get("title"), "Result"))
        for code in mine:
            hidden += _indicator_element(element, code, rows[rows["indicator"] == code],
                                         notes)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                             pretty_print=True)
    problems = validate(content)
    if problems:
        raise IatiError("the IATI file does not validate: " + "; ".join(problems[:5]))
    return Built(content, tuple(warnings), hidden)


_SCHEMA: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    """The IATI 2.03 activity schema (read once; its imports are local files)."""
    global _SCHEMA
    if _SCHEMA is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        document = etree.parse(str(SCHEMA_DIR / "iati-activities-schema.xsd"), parser)
        _SCHEMA = etree.XMLSchema(document)
    return _SCHEMA


def validate(content: bytes) -> list[str]:
    """The schema's complaints about ``content`` (empty when it is valid)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    document = etree.fromstring(content, parser)
    checker = schema()
    if checker.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]
