"""A survey form's mapping file (YAML, ``surveys/<form>.yaml``): which question of the form
gives each column of the template's ``followups`` sheet, or the answers a dimension score
is computed from. The shipped one, ``surveys/followup.yaml``, documents every key.

    form: followup                      # the name used by --form
    sheet: survey                       # XLSX export: the sheet of the submissions
    submission:
      id: [meta/rootUuid, _uuid, KEY]   # the first column present and filled: stable id
      replaces: [meta/deprecatedID]     # an edit's previous id (optional)
    fields:                             # template column: the question's path
      case_number: case/case_number
      visit_date: visit/visit_date
    scores:                             # score_economic / score_social / score_psychosocial
      score_economic:
        question: econ/score            # given 0-1 as it is, or
        mean_of: [econ/q1, econ/q2]     # the mean of answers, each mapped onto 0-1:
        scale: [1, 5]                   # (answer - 1) / (5 - 1)
        reverse: [econ/q2]              # answers where 5 is the worst: 1 - that
        share_selected: {question: soc/support, of: [family, friends]}  # an item of
        #   mean_of: the share of the listed choices ticked in a select_multiple
        #   (blank: none ticked)

A question is named by its path in the form, groups joined with ``/`` (``econ/score``);
the export may join them with ``/`` (KoboToolbox), ``-`` (ODK Central) or ``.``, or leave
the groups out: ``columns`` finds each question's column whichever it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from i18n import _

SURVEYS = Path(__file__).resolve().parents[2] / "surveys"
FIELDS = ("case_number", "country", "visit_date", "business_operating", "jobs_created")
SCORES = ("score_economic", "score_social", "score_psychosocial")
ID_COLUMNS = ("meta/rootUuid", "_uuid", "KEY", "meta/instanceID")


class MappingError(ValueError):
    """The mapping file is wrong; the message says where."""


@dataclass(frozen=True)
class Item:
    """One answer of a computed score: a Likert question, or a select_multiple's share."""

    question: str
    reverse: bool = False
    of: tuple[str, ...] = ()  # share_selected: the choices counted

    @property
    def share(self) -> bool:
        return bool(self.of)


@dataclass(frozen=True)
class Score:
    column: str  # score_economic, …
    question: str | None = None  # given as it is (0-1)
    items: tuple[Item, ...] = ()  # else the mean of these, each on 0-1
    scale: tuple[float, float] = (1.0, 5.0)
    min_answers: int = 0  # fewer answered: no score (0 = all of them)

    def questions(self) -> tuple[str, ...]:
        return (self.question,) if self.question else tuple(i.question for i in self.items)


@dataclass(frozen=True)
class Mapping:
    form: str
    path: Path
    fields: dict[str, str]  # template column → question path
    scores: dict[str, Score]
    id_columns: tuple[str, ...] = ID_COLUMNS
    replaces_columns: tuple[str, ...] = ("meta/deprecatedID",)
    sheet: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MappingError(_("{where}: expected a question path or a list of them").format(
        where=where))


def _score(column: str, spec: Any, where: str) -> Score:
    if isinstance(spec, str):
        return Score(column, question=spec)
    if not isinstance(spec, dict):
        raise MappingError(_("{where}: expected a question path or a mean_of").format(
            where=where))
    if "question" in spec:
        return Score(column, question=str(spec["question"]))
    if "mean_of" not in spec:
        raise MappingError(_("{where}: give question or mean_of").format(where=where))
    reverse = set(_strings(spec["reverse"], f"{where}.reverse")) if spec.get("reverse") \
        else set()
    items: list[Item] = []
    for index, entry in enumerate(spec["mean_of"] or []):
        if isinstance(entry, str):
            items.append(Item(entry, entry in reverse))
        elif isinstance(entry, dict) and "share_selected" in entry:
            share = entry["share_selected"]
            if not isinstance(share, dict) or "question" not in share or not share.get("of"):
                raise MappingError(_("{where}: share_selected needs question and of").format(
                    where=f"{where}.mean_of[{index}]"))
            items.append(Item(str(share["question"]), of=_strings(
                share["of"], f"{where}.mean_of[{index}].of")))
        else:
            raise MappingError(_("{where}: expected a question path or share_selected").format(
                where=f"{where}.mean_of[{index}]"))
    if not items:
        raise MappingError(_("{where}: mean_of is empty").format(where=where))
    scale = spec.get("scale", [1, 5])
    if not (isinstance(scale, list) and len(scale) == 2
            and all(isinstance(v, (int, float)) for v in scale) and scale[0] < scale[1]):
        raise MappingError(_("{where}: scale must be [lowest, highest]").format(
            where=f"{where}.scale"))
    minimum = spec.get("min_answers", 0)
    if not isinstance(minimum, int) or not 0 <= minimum <= len(items):
        raise MappingError(_("{where}: min_answers must be 0 to {n}").format(
            where=f"{where}.min_answers", n=len(items)))
    return Score(column, items=tuple(items), scale=(float(scale[0]), float(scale[1])),
                 min_answers=minimum)


def load(form_or_path: str | Path) -> Mapping:
    """A form's mapping: ``surveys/<form>.yaml``, or a mapping file's path."""
    path = Path(form_or_path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        path = SURVEYS / f"{form_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SURVEYS.glob("*.yaml")))
        raise MappingError(_("no mapping for the form {form} (known: {known}; or give a "
                             "mapping file's path)").format(form=form_or_path, known=known))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(_("{file}: not valid YAML ({detail})").format(
            file=path.name, detail=type(exc).__name__)) from None
    if not isinstance(data, dict):
        raise MappingError(_("{file}: expected keys form, fields, scores").format(
            file=path.name))
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise MappingError(_("{file}: fields must map template columns to questions").format(
            file=path.name))
    unknown = [k for k in fields if k not in FIELDS]
    if unknown:
        raise MappingError(_("{file}: {names} not a followups column (fields: {known})").format(
            file=path.name, names=", ".join(map(str, unknown)), known=", ".join(FIELDS)))
    for required in ("case_number", "visit_date"):
        if required not in fields:
            raise MappingError(_("{file}: fields.{name} is required").format(
                file=path.name, name=required))
    scores_spec = data.get("scores") or {}
    if not isinstance(scores_spec, dict) or any(k not in SCORES for k in scores_spec):
        raise MappingError(_("{file}: scores are {known}").format(
            file=path.name, known=", ".join(SCORES)))
    scores = {k: _score(k, v, f"{path.name}: scores.{k}") for k, v in scores_spec.items()}
    submission = data.get("submission") or {}
    ids = _strings(submission["id"], f"{path.name}: submission.id") if "id" in submission \
        else ID_COLUMNS
    replaces = _strings(submission["replaces"], f"{path.name}: submission.replaces") \
        if submission.get("replaces") else ()
    return Mapping(str(data.get("form") or path.stem), path,
                   {k: str(v) for k, v in fields.items()}, scores, tuple(ids),
                   tuple(replaces), data.get("sheet"))
