"""A job seeker's registration as the conversation collects it and the ledger returns it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Dict, List, Optional

from db.pii import mask_id_number, mask_phone

from ledger.fields import SERVICES


@dataclass
class Registration:
    name: Optional[str] = None
    phone: Optional[str] = None
    id_number: Optional[str] = None
    school: Optional[str] = None
    major: Optional[str] = None
    degree: Optional[str] = None
    grad_year: Optional[int] = None
    birth_year: Optional[int] = None
    district: Optional[str] = None
    status: Optional[str] = None
    intention: Optional[str] = None
    preferred_districts: List[str] = field(default_factory=list)
    services: List[str] = field(default_factory=list)  # codes of fields.SERVICES
    difficulty: Optional[bool] = None
    difficulty_kind: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Registration":
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def age(self, today: Optional[date] = None) -> Optional[int]:
        return (today or date.today()).year - self.birth_year if self.birth_year else None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def service_labels(self) -> List[str]:
        return [SERVICES[code] for code in self.services if code in SERVICES]


@dataclass(frozen=True)
class Saved:
    ref: str
    created: bool  # False: an existing registration of the same person was updated


@dataclass(frozen=True)
class StoredRegistration:
    """A saved registration with its reference number and follow-up counts."""

    ref: str
    registration: Registration
    follow_ups: Dict[str, int]
    # on the list the education commission handed over: deleting keeps that entry (docs/real-name.md)
    on_list: bool = False
