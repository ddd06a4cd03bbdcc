"""Reading a graduate's answers: one parser per registration field, and the values a message
gives besides the one asked ("我叫王芳，手机13912345678").

Every parser takes the graduate's text as typed and returns a `Parsed` value, or a `Problem`
with the specific re-ask. They are pure functions: no dialogue state, no database.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from actions.facts import chinese_number
from actions.knowledge import kb
from db.pii import ID_NUMBER, PHONE, personal_numbers
from ledger import fields as F
from policy_kb.text import normalize_chars

MAX_TEXT = 50
SKIP_WORDS = ("跳过", "不填", "不想填", "没有", "无", "暂无", "不方便", "略过", "skip")
NONE_WORDS = ("不限", "都行", "都可以", "随便", "无所谓", "哪里都行", "哪都行", "不挑")
QUESTION_MARKS = re.compile(r"[?？吗呢]$|什么|怎么|咋|会不会|是不是|有没有|要不要|怎样|哪里|哪儿|哪个|哪些|谁能|谁会|谁看|多少|几[项个天条次号点]|多久|多长时间|能不能|可不可以|是否|如何|为啥|为什么|啥(?!都|也)")
# short replies that are never a name, a school or a major
NOT_ANSWERS = {"你好", "您好", "在吗", "在不在", "谢谢", "好的", "好", "嗯", "嗯嗯", "哦", "啊", "是", "是的", "对", "不是", "不知道",
               "继续", "继续登记", "同意", "可以", "行", "ok", "哈哈", "哈哈哈", "不", "不要"}


@dataclass(frozen=True)
class Skipped:
    """An optional field the graduate chose not to answer."""


Value = Union[str, int, bool, List[str], Skipped, None]


@dataclass(frozen=True)
class Problem:
    hint: str


Parsed = Union[Value, Problem]
Parser = Callable[[str, "Options"], Parsed]


@dataclass(frozen=True)
class Options:
    """The choices offered for the field being asked (numbers pick from them)."""

    choices: Sequence[str] = ()
    today: date = field(default_factory=date.today)


def clean(text: str) -> str:
    """Normalised characters, no control characters, trimmed of spaces and end punctuation."""
    text = normalize_chars(text)
    text = "".join(ch for ch in text if ch.isprintable())
    return text.strip().strip("。.!！~～,，、;；:：\"'“”‘’ ")


def tidy(text: str) -> str:
    """As typed, for storing: full-width folded, control characters dropped, case kept."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch.isprintable())
    return text.strip().strip("。.!！~～,，、;；:：\"'“”‘’ ")


SKIP_ANYWHERE = re.compile(r"跳过|不填|不想填|不想给|不方便|不提供|不告诉|先不|没带|没有身份证|没身份证|记不得|记不清|忘了")


def is_skip(text: str) -> bool:
    """“跳过”, “没有”, “不方便提供”, “身份证号不想填” … for an optional question."""
    t = clean(text)
    if any(t == word or t.startswith(word) and len(t) <= len(word) + 2 for word in SKIP_WORDS):
        return True
    return len(t) <= 15 and bool(SKIP_ANYWHERE.search(t)) and not re.search(r"\d{6,}", t)


def looks_like_question(text: str) -> bool:
    return bool(QUESTION_MARKS.search(clean(text))) or "?" in text or "？" in text


# ---- single fields -------------------------------------------------------------------------

_NAME_PREFIX = re.compile(r"^(?:我叫|我的名字是|我的名字叫|名字是|名字叫|名字|姓名是|姓名|我是|叫)[:：\s]*")
_NAME = re.compile(r"^(?:[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]+[·•][\u4e00-\u9fff·•]{1,18}|[a-z][a-z .'\-]{1,39})$")


def parse_name(text: str, _: Options) -> Parsed:
    t = _NAME_PREFIX.sub("", clean(text))
    t = re.sub(r"(?:吧|呀|啊|哈)$", "", t)
    if t in NOT_ANSWERS or not _NAME.match(t) or looks_like_question(t):
        return Problem("姓名请填写真实姓名：2–6个汉字（少数民族姓名可带“·”）或英文字母，不要带数字、符号或表情。")
    return t.title() if t.isascii() else t


def find_phone(text: str) -> Optional[str]:
    """The first valid mobile number in `text`, written in any of the ways the masker finds
    (db/pii.py: 139 1234 5678, 139.1234.5678, 139–1234–5678, full-width digits …)."""
    for found in personal_numbers(text):
        phone = F.normalize_phone(found.value) if found.kind == PHONE else None
        if phone:
            return phone
    return None


def parse_phone(text: str, _: Options) -> Parsed:
    phone = find_phone(text)
    if phone:
        return phone
    return Problem("手机号应为11位数字，以1开头（如 1XX XXXX XXXX），请重新输入。")


def find_id_number(text: str, today: date) -> Optional[str]:
    """The first valid ID-card number in `text` (110105 1949 1231 002X, 110105-19491231-002X …)."""
    for found in personal_numbers(text):
        value = F.normalize_id_number(found.value, today) if found.kind == ID_NUMBER else None
        if value:
            return value
    return None


def parse_id_number(text: str, options: Options) -> Parsed:
    if is_skip(text):
        return Skipped()
    value = find_id_number(text, options.today)
    if value:
        return value
    return Problem("身份证号应为18位（最后一位可能是X），这个号码核对不上，请检查后重新输入；不想填可以回复“跳过”。")


def _free_text(text: str, what: str, strip: Sequence[str] = ()) -> Parsed:
    t = tidy(text)
    for pattern in strip:
        t = re.sub(pattern, "", t, flags=re.IGNORECASE).strip()
    if len(t) > MAX_TEXT:
        return Problem(f"{what}太长了，请简短一些（{MAX_TEXT}字以内）。")
    if not t or t.lower() in NOT_ANSWERS or not re.search(r"[\u4e00-\u9fffA-Za-z]", t) or looks_like_question(t):
        return Problem(f"请直接告诉我{what}，{MAX_TEXT}字以内。")
    return t


def parse_school(text: str, _: Options) -> Parsed:
    return _free_text(text, "毕业学校的名称（如“北京XX大学”）", [r"^(?:我是|我在|我|毕业于|毕业学校是|学校是|学校|就读于)", r"(?:毕业的|毕业|的)$"])


def parse_major(text: str, _: Options) -> Parsed:
    return _free_text(text, "所学专业（如“会计学”“计算机科学与技术”）", [r"^(?:我学的是|学的是|我是学|专业是|我的专业是|专业|学)", r"(?:专业的|专业|的)$"])


def parse_intention(text: str, _: Options) -> Parsed:
    t = clean(text)
    if t in NONE_WORDS:
        return "不限"
    return _free_text(text, "想找的工作（岗位类型或行业，如“软件开发”“行政文员”；不限请回复“不限”）",
                      [r"^(?:我想找|想找|我想做|想做|我想当|想当|我想|想|意向是|求职意向是)", r"(?:的工作|工作|方面的|相关的|相关)$"])


DEGREE_WORDS: Dict[str, str] = {
    "博士": "博士", "博士研究生": "博士", "硕士": "硕士", "研究生": "硕士", "硕士研究生": "硕士", "研究僧": "硕士",
    "本科": "本科", "学士": "本科", "大学本科": "本科", "本科生": "本科",
    "专科": "专科", "大专": "专科", "高职": "专科", "高职高专": "专科", "专科生": "专科",
    "中专": "中专", "中职": "中专", "职高": "中专", "技校": "技校", "技工学校": "技校", "技师学院": "技校",
}


def _pick(text: str, choices: Sequence[str]) -> Optional[str]:
    number = _option_number(text)
    if number is not None and 1 <= number <= len(choices):
        return choices[number - 1]
    return None


def _option_number(text: str) -> Optional[int]:
    match = re.fullmatch(r"(?:选|选择|第)?\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:个|项|号)?", clean(text))
    return chinese_number(match.group(1)) if match else None


def find_degree(text: str) -> Optional[str]:
    t = clean(text)
    for word in sorted(DEGREE_WORDS, key=len, reverse=True):
        if word in t:
            return DEGREE_WORDS[word]
    return None


def parse_degree(text: str, options: Options) -> Parsed:
    found = _pick(text, options.choices) or find_degree(text)
    return found or Problem("请选择学历：中专、技校、专科、本科、硕士、博士（回复名称或编号）。")


_YEAR_FULL = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_COHORT = re.compile(r"(?<!\d)(\d{2})\s*(?:届|年毕业|年毕的|级)")
_RELATIVE = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}


def find_grad_year(text: str, today: date, need_context: bool = True) -> Optional[int]:
    t = clean(text)
    if need_context and not re.search(r"届|毕业|毕的", t):
        return None
    match = _YEAR_FULL.search(t)
    year = int(match.group(1)) if match else None
    if year is None:
        cohort = _YEAR_COHORT.search(t)
        year = 2000 + int(cohort.group(1)) if cohort else None
    if year is None:
        for word, back in sorted(_RELATIVE.items(), key=lambda item: -len(item[0])):
            if word in t:
                year = today.year - back
                break
    return year


def parse_grad_year(text: str, options: Options) -> Parsed:
    year = find_grad_year(text, options.today, need_context=False)
    if year is None and re.fullmatch(r"\d{2}", clean(text)):
        year = 2000 + int(clean(text))
    if year is None or not 1980 <= year <= options.today.year + 1:
        return Problem(f"毕业年份请填4位数字，如{options.today.year}（应在1980–{options.today.year + 1}之间）。")
    return year


_AGE = re.compile(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:周岁|岁)")
_BIRTH = re.compile(r"(?<!\d)((?:19|20)\d{2}|\d{2})\s*年?\s*(?:出生|生的|生人|生|年的)")


def find_birth_year(text: str, today: date, need_context: bool = True) -> Optional[int]:
    """The birth year from an age ('23岁') or a birth year ('1999年出生', '99年的')."""
    t = clean(text)
    match = _AGE.search(t)
    if match:
        age = chinese_number(match.group(1))
        return today.year - age if age is not None else None
    match = _BIRTH.search(t)
    if match:
        year = int(match.group(1))
        return year + (1900 if year >= 50 else 2000) if year < 100 else year
    if not need_context:
        bare = re.fullmatch(r"(?:我|今年|我今年)?\s*(\d{1,4}|[一二两三四五六七八九十]{1,3})\s*(?:了|啦|年)?", t)
        if bare:
            number = chinese_number(bare.group(1))
            if number is None:
                return None
            if number >= 1900:
                return number
            if number < 100 and not 16 <= number <= 60 and len(bare.group(1)) == 2 and bare.group(0).endswith("年"):
                return number + (1900 if number >= 50 else 2000)
            return today.year - number
    return None


def parse_age(text: str, options: Options) -> Parsed:
    born = find_birth_year(text, options.today, need_context=False)
    if born is None or not 16 <= options.today.year - born <= 60:
        return Problem("请填年龄（16–60岁，如“23”）或出生年份（如“1999”）。")
    return born


def find_districts(text: str) -> List[str]:
    found: List[str] = []
    for name in kb().district_index.find(clean(text)):
        if name not in found:
            found.append(name)
    return found


def parse_district(text: str, options: Options) -> Parsed:
    picked = _pick(text, options.choices)
    if picked:
        return picked
    found = find_districts(text)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        return Problem("请只选一个你现在居住的区。")
    return Problem("请告诉我你现在住在北京哪个区（如“海淀区”），或回复列表里的编号。")


def _numbers(text: str) -> Optional[List[int]]:
    t = clean(text)
    if not re.fullmatch(r"[\d\s,，、和及+]+", t):
        return None
    return [int(n) for n in re.findall(r"\d+", t)]


def parse_preferred_districts(text: str, options: Options) -> Parsed:
    t = clean(text)
    if t in NONE_WORDS or t.startswith("不限"):
        return ["不限"]
    numbers = _numbers(text)
    if numbers:
        if all(1 <= n <= len(options.choices) for n in numbers):
            return list(dict.fromkeys(options.choices[n - 1] for n in numbers))
        return Problem(f"编号应在1–{len(options.choices)}之间。")
    found = find_districts(text)
    return found or Problem("请说出想去工作的区，可以说多个（如“海淀、朝阳”）；不限请回复“不限”。")


STATUS_WORDS: Dict[str, str] = {
    "暂无就业意愿": "暂无就业意愿", "不想工作": "暂无就业意愿", "不想找工作": "暂无就业意愿", "暂时不想": "暂无就业意愿",
    "没有就业意愿": "暂无就业意愿", "考研": "暂无就业意愿", "考公": "暂无就业意愿", "备考": "暂无就业意愿",
    "升学": "暂无就业意愿", "出国": "暂无就业意愿", "留学": "暂无就业意愿", "二战": "暂无就业意愿",
    "灵活就业": "灵活就业", "打零工": "灵活就业", "零工": "灵活就业", "兼职": "灵活就业", "自由职业": "灵活就业",
    "临时工": "灵活就业", "外卖": "灵活就业", "跑腿": "灵活就业", "自媒体": "灵活就业",
    "还没找到工作": "未就业", "没找到工作": "未就业", "还没有找到": "未就业", "没有找到": "未就业", "还没找到": "未就业",
    "没有上班": "未就业", "没上班": "未就业", "没有签约": "未就业", "没签约": "未就业", "没入职": "未就业",
    "未就业": "未就业", "没就业": "未就业", "没工作": "未就业", "没有工作": "未就业", "待业": "未就业", "失业": "未就业",
    "没找到": "未就业", "还没找": "未就业", "在找工作": "未就业", "正在找": "未就业", "找工作中": "未就业",
    "已就业": "已就业", "已经就业": "已就业", "找到工作": "已就业", "上班了": "已就业", "已经工作": "已就业",
    "入职": "已就业", "签约": "已就业", "在上班": "已就业", "有工作": "已就业",
}


def parse_status(text: str, options: Options) -> Parsed:
    picked = _pick(text, options.choices)
    if picked:
        return picked
    t = clean(text)
    for word in sorted(STATUS_WORDS, key=len, reverse=True):
        if word in t:
            return STATUS_WORDS[word]
    return Problem("请选择目前的状态：未就业、灵活就业、已就业、暂无就业意愿（回复名称或编号）。")


SERVICE_WORDS: Dict[str, str] = {
    "职业指导": "guidance", "就业指导": "guidance", "职业规划": "guidance", "求职指导": "guidance", "指导": "guidance",
    "岗位推介": "recommendation", "推荐岗位": "recommendation", "推荐工作": "recommendation", "岗位推荐": "recommendation",
    "介绍工作": "recommendation", "推岗": "recommendation", "推介": "recommendation", "推荐": "recommendation",
    "技能培训": "training", "职业培训": "training", "培训": "training",
    "就业见习": "traineeship", "见习": "traineeship", "实习": "traineeship",
    "创业服务": "startup", "创业": "startup",
}
_ALL_WORDS = ("都要", "全部", "都需要", "全都要", "所有")
_NO_SERVICE = ("不需要", "都不需要", "不用", "都不用", "暂时不需要", "没有需要", "不要")


def parse_services(text: str, options: Options) -> Parsed:
    t = clean(text)
    if any(t.startswith(word) for word in _NO_SERVICE):
        return []
    if any(word in t for word in _ALL_WORDS):
        return list(F.SERVICES)
    numbers = _numbers(text)
    codes = list(F.SERVICES)
    if numbers:
        if all(1 <= n <= len(codes) for n in numbers):
            return list(dict.fromkeys(codes[n - 1] for n in numbers))
        return Problem(f"编号应在1–{len(codes)}之间，可以多选，如“1 3”。")
    found: List[str] = []
    rest = t
    for word in sorted(SERVICE_WORDS, key=len, reverse=True):
        if word in rest:
            found.append(SERVICE_WORDS[word])
            rest = rest.replace(word, " ")
    if found:
        return [code for code in codes if code in found]
    return Problem("请选择需要的服务（可多选）：职业指导、岗位推介、技能培训、就业见习、创业服务；回复名称或编号（如“1 3”），都不需要请回复“不需要”。")


DIFFICULTY_WORDS: Dict[str, str] = {
    "低保": "城乡低保家庭", "零就业": "零就业家庭", "脱贫": "脱贫家庭", "建档立卡": "脱贫家庭", "贫困": "脱贫家庭",
    "残疾": "残疾人家庭或本人残疾", "残障": "残疾人家庭或本人残疾", "特困": "特困供养人员", "其他": "其他困难情形",
}
NO_DIFFICULTY = "不属于"


def parse_difficulty(text: str, options: Options) -> Parsed:
    t = clean(text)
    picked = _pick(text, options.choices)
    if picked:
        return False if picked == NO_DIFFICULTY else picked
    if t in ("不是", "否", "没有", "都不是", "不属于", "都不属于", "不", "没", "无", "no") or t.startswith(("不是", "都不是", "不属于", "都没有")):
        return False
    if is_skip(t):
        return Skipped()
    for word, kind in DIFFICULTY_WORDS.items():
        if word in t:
            return kind
    return Problem("请选择一种困难情形，或回复“不属于”；不想回答可以回复“跳过”。")


# ---- values given besides the one asked --------------------------------------------------

_NAME_IN_TEXT = re.compile(r"(?:我叫|我的名字是|名字是|名字叫|姓名[是:：]?)\s*([\u4e00-\u9fff·]{2,6}?)(?=[,，。；;、\s]|手机|电话|身份证|$)")
_SCHOOL_IN_TEXT = re.compile(r"([\u4e00-\u9fffa-z]{2,20}?(?:大学|学院|职业技术学院|职业学院|技师学院|学校|技校))")
_DISTRICT_CONTEXT = re.compile(r"(?:住在|住|家在|居住在|居住地|现居|常住)")


def extract_all(text: str, today: date) -> Dict[str, Value]:
    """Values a message gives with enough context to be sure of them, by registration field."""
    t = clean(text)
    found: Dict[str, Value] = {}
    phone = find_phone(t)
    if phone:
        found["phone"] = phone
    id_number = find_id_number(t, today)
    if id_number:
        found["id_number"] = id_number
        born = F.id_birth_date(id_number)
        if born:
            found["birth_year"] = born.year
    name = _NAME_IN_TEXT.search(t)
    if name:
        found["name"] = name.group(1)
    school = _SCHOOL_IN_TEXT.search(t)
    rest = t
    if school:
        found["school"] = re.sub(r"^(?:我是|我在|毕业于|学校是|来自)", "", school.group(1))
        rest = t.replace(school.group(1), " ")
    degree = find_degree(rest)
    if degree:
        found["degree"] = degree
    year = find_grad_year(rest, today)
    if year and 1980 <= year <= today.year + 1:
        found["grad_year"] = year
    born_year = find_birth_year(rest, today)
    if born_year and 16 <= today.year - born_year <= 60:
        found["birth_year"] = born_year
    major = (re.search(r"(?:学的是|专业是|读的是)([\u4e00-\u9fffa-z]{2,15}?)(?:专业|$|[,，。；;、\s])", rest)
             or re.search(r"学([\u4e00-\u9fffa-z]{2,15}?)(?:专业|的)", rest))
    if major and major.group(1) not in DEGREE_WORDS:
        found["major"] = major.group(1)
    context = _DISTRICT_CONTEXT.search(rest)
    if context:
        districts = find_districts(rest[context.end():])
        if districts:
            found["district"] = districts[0]
    return found


# ---- answers listed one after another (“北京联合大学，计算机科学与技术，本科，2022年毕业”) -----------

LIST_SEPARATORS = re.compile(r"[,，、;；/｜|]+|\s+")
_YEAR_ONLY = re.compile(r"^(?:(?:19|20)\d{2}|\d{2})\s*(?:年|届)?(?:毕业|毕业的|届)?$")
_WISH = re.compile(r"^(?:我?想(?:找|做|当|干)|意向是?|求职意向是?|找)")
_PLACE_ONLY = re.compile(r"^(?:住|住在|家在|现居|在)?[\u4e00-\u9fff]{2,4}$")


def listed_parts(text: str) -> List[str]:
    return [part for part in LIST_SEPARATORS.split(clean(text)) if part]


def unlisted_parts(text: str, today: date) -> List[str]:
    """The parts of a listed message that no recogniser takes (“软件开发，海淀朝阳都行”: 软件开发)."""
    return [part for part in listed_parts(text) if _listed_part(part, today)[0] is None]


def extract_listed(text: str, today: date) -> Dict[str, Value]:
    """Values of a message listing answers separated by commas or spaces, each part one answer: a
    part no recogniser takes right after the school is the major (people list them in that order).
    Two parts are a list when one is a school or a part only a list's later answers take (“海淀朝阳都行”)."""
    parts = listed_parts(text)
    if len(parts) < 2 or len(parts) == 2 and not any(_listed_part(part, today)[0] for part in parts):
        return {}
    found: Dict[str, Value] = {}
    previous = ""
    for part in parts:
        key, value = _listed_part(part, today)
        if key is None and previous == "school" and "major" not in found:
            parsed = parse_major(part, Options())
            key, value = ("major", parsed) if not isinstance(parsed, Problem) else (None, None)
        if key is None and is_skip(part) and (previous == "phone" or "身份证" in part):
            key, value = "id_number", Skipped()  # “王小明，138…，跳过”: the optional ID number after the phone
        if key is not None and key not in found:
            found[key] = value
        previous = key or ""
    return found


def _listed_part(part: str, today: date) -> Tuple[Optional[str], Optional[Value]]:
    """The one field a part of a listed message answers, if a recogniser is sure of it."""
    if find_phone(part) and re.fullmatch(r"[\d\s\-+]{11,16}", part):
        return "phone", find_phone(part)
    if find_id_number(part, today) and re.fullmatch(r"[\dXx]{18}", part):
        return "id_number", find_id_number(part, today)
    if part in DEGREE_WORDS:
        return "degree", DEGREE_WORDS[part]
    if _YEAR_ONLY.match(part):
        year = find_grad_year(part, today, need_context=False)
        if year and 1980 <= year <= today.year + 1:
            return "grad_year", year
    if _SCHOOL_IN_TEXT.fullmatch(part):
        return "school", part
    if _WISH.match(part):
        wish = parse_intention(part, Options())
        return ("intention", wish) if not isinstance(wish, Problem) else (None, None)
    if _PLACE_ONLY.match(part) and len(find_districts(part)) == 1 and len(part) <= len(find_districts(part)[0]) + 3:
        return "district", find_districts(part)[0]
    if _ANY_AREA.fullmatch(part):  # “工作区域不限”
        return "preferred_districts", ["不限"]
    if _AREAS_FINE.search(part) and find_districts(part):  # “海淀朝阳都行”
        return "preferred_districts", find_districts(part)
    if part in STATUS_WORDS:  # “未就业”
        return "status", STATUS_WORDS[part]
    wanted = _NEEDS.match(part)
    services = parse_services(wanted.group(1), Options()) if wanted else None
    if services and not isinstance(services, Problem):  # “需要岗位推介”
        return "services", services
    if _NO_HARDSHIP.fullmatch(part):  # “没有困难情形”
        return "difficulty", False
    return None, None


_ANY_AREA = re.compile(r"(?:工作)?(?:区域|地区|地点|区)?(?:不限|都行|随便|无所谓|哪都行|哪里都行)(?:区域|地区)?")
_AREAS_FINE = re.compile(r"(?:都行|都可以|均可|也行|都好|都成)$")
_NEEDS = re.compile(r"^(?:需要|想要|要)(.{2,12})$")
_NO_HARDSHIP = re.compile(r"(?:没有|无|不是|不属于|非)(?:任何)?困难(?:情形|家庭|情况)?")
