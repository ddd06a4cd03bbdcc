"""What the load tool's graduates say (scripts/load.py): everyday questions about the notice, the
registration dialogue and subscriptions. Written for the load tool from the notice and the
knowledge base; none is taken from tests/heldout/ (the held-out set stays unseen by anything
tuned on figures).

A graduate plays one short session (a few questions, or a whole registration, or a subscription)
under a fresh identity, then the next graduate takes the seat: conversations stay as long as real
ones, so the tracker Rasa loads per turn does not grow through a long run.
"""
from __future__ import annotations

import itertools
import random
import re
import secrets
from typing import List, Optional, Tuple

# ~60 knowledge-base questions: policies, eligibility, the notice's measures, help routes and
# the institution directory (some without a district: the assistant asks which one, and the
# graduate's next question is simply the next one).
KB_QUESTIONS: List[str] = [
    # the policy list
    "灵活就业的社保补贴能领多久",
    "社保补贴要自己先交钱再报销吗",
    "就业见习一般多长时间",
    "参加见习有工资吗",
    "见习单位能拿到什么补贴",
    "企业招应届生有扩岗补助吗",
    "一次性扩岗补助给谁发",
    "吸纳就业补贴是多少钱",
    "小微企业招了离校未就业的毕业生有补贴吗",
    "我想自己开个小店，有创业扶持吗",
    "创业担保贷款怎么申请",
    "实名帮扶具体帮些什么",
    "家里是低保户，找工作能多给点帮助吗",
    "残疾毕业生有专门的帮扶吗",
    "今年事业单位还招人吗",
    "国企招聘应届毕业生的消息在哪看",
    "乡村振兴协理员是干什么的",
    "协理员岗位怎么报名",
    "有免费的职业技能培训吗",
    "参加培训能领补贴吗",
    # eligibility
    "我2021年毕业的，还算离校未就业吗",
    "25岁还能参加就业见习吗",
    "去年毕业一直没工作，能领社保补贴吗",
    "我是专科生，这些政策适用吗",
    "外地生源在北京找工作也能享受吗",
    "毕业三年了还能申请见习吗",
    # the notice and its measures
    "这个攻坚行动是做什么的",
    "攻坚行动到什么时候结束",
    "通知里说的打包办是什么意思",
    "毕业生数据是怎么对接到区里的",
    "人社部门会主动联系我吗",
    "专项招聘活动都有哪些",
    "最近有没有网络招聘会",
    "遇到黑中介乱收费怎么办",
    "招聘时被要求交押金合法吗",
    "就业帮扶行动怎么帮我",
    "公共部门岗位招聘什么时候开始",
    "就业见习提升是什么",
    # help routes
    "去哪里做求职登记",
    "求职登记的小程序叫什么",
    "北京毕业生就业创业服务平台能干嘛",
    "12333能咨询就业政策吗",
    "24365平台是什么",
    "中国公共招聘网上能找到北京的岗位吗",
    "就业超市在哪",
    "找不到工作应该找谁帮忙",
    "有没有人能一对一指导我求职",
    # the directory
    "海淀区公共就业服务机构在哪里",
    "朝阳区的人才服务机构怎么联系",
    "我的档案在丰台，去哪个机构办",
    "通州有就业服务中心吗",
    "大兴区的档案管理机构在哪",
    "昌平区哪里可以办就业登记",
    "西城区找谁咨询就业政策",
    "经开区有人才服务机构吗",
    "我在顺义，就近去哪办事",
    "档案存放的机构在哪里",
    # everyday
    "毕业后档案应该放哪",
    "报到证现在还需要办吗",
    "我暂时不想找工作可以吗",
    "你好，我想咨询一下就业政策",
    "谢谢你的解答",
]

SUBSCRIPTIONS: List[str] = [
    "订阅海淀区的招聘会", "以后有朝阳的招聘信息推给我", "有见习岗位就通知我", "订阅政策更新",
    "丰台有招聘会的话提醒我一声", "订阅全市的招聘会",
]
SUBSCRIPTION_FOLLOW_UPS: List[str] = ["我订阅了哪些", "退订"]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉宇浩凯健俊帆雪琳晨欣然婷悦博文涵轩睿"
SCHOOLS = ["北京工业大学", "首都师范大学", "北京联合大学", "北京信息科技大学", "北京城市学院", "首都经济贸易大学"]
MAJORS = ["会计学", "计算机科学与技术", "汉语言文学", "市场营销", "机械工程", "英语"]
DEGREES = ["本科", "大专", "硕士"]
DISTRICTS = ["海淀", "朝阳", "丰台", "通州", "昌平", "大兴", "西城", "东城"]
JOBS = ["行政文员", "软件测试", "销售", "会计", "教师", "设计"]

REF = re.compile(r"QZ-[0-9A-Z]{4}-[0-9A-Z]{4}")


class Identities:
    """Fresh, unique, fake graduates: openids, Telegram chat ids, names and phone numbers of
    valid shape (1[3-9]x + 8 digits) that no two graduates of a run share."""

    def __init__(self, seed: Optional[int] = None) -> None:
        self.random = random.Random(seed)
        self._serial = itertools.count(self.random.randrange(10**7))
        self._chat_base = 6 * 10**9 + self.random.randrange(10**9)

    def openid(self) -> str:
        return "oLoad" + secrets.token_urlsafe(18)[:23]

    def chat_id(self) -> int:
        return self._chat_base + next(self._serial)

    def phone(self) -> str:
        prefix = self.random.choice(["139", "138", "137", "150", "151", "186", "188", "177"])
        return f"{prefix}{next(self._serial) % 10**8:08d}"

    def name(self) -> str:
        return self.random.choice(SURNAMES) + "".join(self.random.choice(GIVEN) for _ in range(self.random.choice((1, 2))))


def registration_answers(who: Identities) -> List[Tuple[str, str]]:
    """The registration dialogue as (what the assistant asks, what the graduate answers), first
    match wins: the graduate answers whatever it is asked, so a turn answered with the graceful
    error does not derail the rest."""
    r = who.random
    return [("登记成功", ""), ("请核对你的登记信息", "确认提交"), ("回到登记，请核对", "确认提交"),
            ("接着填，还是重新开始", "继续"), ("你同意吗", "同意"), ("需要你先同意", "同意"),
            ("你的姓名", who.name()), ("手机号是多少", who.phone()), ("身份证号", "跳过"),
            ("哪所学校", r.choice(SCHOOLS)), ("所学专业", r.choice(MAJORS)), ("你的学历", r.choice(DEGREES)),
            ("哪一年毕业", r.choice(["2021", "2022"])), ("年龄或出生年份", str(r.randint(21, 26))),
            ("北京哪个区", r.choice(DISTRICTS)), ("就业状态", "未就业"), ("什么样的工作", r.choice(JOBS)),
            ("哪些区工作", "不限"), ("哪些就业服务", "1 2"), ("困难家庭", "不属于")]


def next_answer(script: List[Tuple[str, str]], said: str) -> str:
    """What the graduate says next, given everything the assistant just said."""
    return next((answer for asked, answer in script if asked in said), "继续登记")
