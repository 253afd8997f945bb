"""What every table of the database is built on: the declarative ``Base`` (its naming
convention, and closed vocabularies stored as code strings), the ``Timestamped`` and
``CountryScoped`` mixins, and the random record keys (issue 14)."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import DateTime, Enum, Integer, MetaData, String, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    Sex,
    TrainingKind,
    Vulnerability,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Record keys (issue 14): every record donor counts are made of carries a random integer
# in [0, KEY_RANGE), assigned once when the record is created and never changed, shown or
# exported. A count's cell key is the sum of the keys of the records behind it, so the
# same set of records always gets the same published (perturbed) value
# (data_access.disclosure). Any insert that does not give one draws it here.
KEY_RANGE = 2**20


def new_record_key() -> int:
    return secrets.randbelow(KEY_RANGE)


def record_key_column() -> Mapped[int]:
    return mapped_column(Integer, default=new_record_key)


def _enum(enum: type[StrEnum]) -> Enum:
    # Stored as the code string (VARCHAR), never as a native database enum, so adding a
    # code is a data change, not an ALTER TYPE.
    return Enum(enum, native_enum=False, create_constraint=False, length=32,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Base(DeclarativeBase):
    # Every model is mapped to one Table (not a join or a select): so Model.__table__ can be
    # inserted into, updated and its indexes read.
    __table__: ClassVar[Table]
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        Sex: _enum(Sex), ReturnType: _enum(ReturnType), CaseStatus: _enum(CaseStatus),
        Vulnerability: _enum(Vulnerability), Modality: _enum(Modality),
        AssistanceKind: _enum(AssistanceKind), Sector: _enum(Sector),
        AssistanceStatus: _enum(AssistanceStatus), CooperativeStatus: _enum(CooperativeStatus),
        TrainingKind: _enum(TrainingKind), InstitutionType: _enum(InstitutionType),
        CapacityActivityKind: _enum(CapacityActivityKind),
        ServiceKind: _enum(ServiceKind), ReferralStatus: _enum(ReferralStatus),
    }


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(),
                                                    onupdate=func.now())


class CountryScoped:
    """Marker: rows of this table belong to one country and are filtered by the scope."""

    country: Mapped[str] = mapped_column(String(2))
