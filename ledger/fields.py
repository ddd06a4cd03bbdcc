"""What the ledger records about a job seeker: the enumerations the bureau uses, and the checks
and masks for the two sensitive numbers (mainland mobile number, resident ID-card number).

The enumerations follow the notice, 五（八）: employment status, education and major, job
intention, services wanted; and the promise of at least 1 career-guidance session, 3 job
recommendations and 1 skills-training and traineeship chance.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Dict, List, Optional

from db.tables import DEGREES  # noqa: F401  the degree field's values: the column's domain, shared with notices
from policy_kb.text import normalize_chars

STATUSES: List[str] = ["未就业", "灵活就业", "已就业", "暂无就业意愿"]
# Statuses for which the job intention is not asked.
NO_JOB_SEARCH = {"已就业", "暂无就业意愿"}

# code → label; codes are what the database and the export filters use.
SERVICES: Dict[str, str] = {
    "guidance": "职业指导",
    "recommendation": "岗位推介",
    "training": "技能培训",
    "traineeship": "就业见习",
    "startup": "创业服务",
}

# Kinds of "family in difficulty" (困难家庭) the bureau records. The notice (五（八）) names the
# group without listing kinds; these are the categories Beijing's employment services commonly
# use, kept here so a bureau can change them in one place.
DIFFICULTY_KINDS: List[str] = ["城乡低保家庭", "零就业家庭", "脱贫家庭", "残疾人家庭或本人残疾", "特困供养人员", "其他困难情形"]

# Follow-up services staff record (五（八）): kind code → label.
FOLLOW_UP_KINDS: Dict[str, str] = {
    "guidance": "职业指导",
    "recommendation": "岗位推介",
    "training": "技能培训",
    "traineeship": "就业见习",
    "startup": "创业服务",
}

_PHONE = re.compile(r"1[3-9]\d{9}")
_ID = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def normalize_phone(text: str) -> Optional[str]:
    """'139 1234-5678', '+86 13912345678', full-width digits → '13912345678'; else None."""
    digits = re.sub(r"[\s\-()（）]", "", normalize_chars(text))
    digits = re.sub(r"^(\+?86|0086)(?=1\d{10}$)", "", digits)
    return digits if _PHONE.fullmatch(digits) else None


def normalize_id_number(text: str, today: Optional[date] = None) -> Optional[str]:
    """An 18-character resident ID number with a valid check digit and birth date; else None."""
    value = re.sub(r"\s", "", normalize_chars(text)).upper()
    if not _ID.fullmatch(value) or id_check_digit(value[:17]) != value[17]:
        return None
    born = id_birth_date(value)
    today = today or date.today()
    if born is None or not date(1900, 1, 1) <= born <= today:
        return None
    return value


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643-1999."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def id_birth_date(value: str) -> Optional[date]:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def split_codes(value: Optional[str]) -> List[str]:
    return [part for part in (value or "").split(",") if part]


def join_codes(values: List[str]) -> str:
    return ",".join(values)


def service_labels(codes: List[str]) -> List[str]:
    return [SERVICES[code] for code in codes if code in SERVICES]

