"""Made-up Chinese names: of people (common surnames by frequency, given-name characters) and of
compounds (estates, urban villages, institutions' dormitories named after the district's own
streets and communities)."""

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridgov.demo.population.plan import DORM, VILLAGE, People

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛黎"
)
SURNAME_WEIGHTS = np.array(
    [7.1, 7.0, 6.7, 5.4, 5.5, 3.1, 3.0, 2.3, 2.0, 1.9, 1.5, 1.5, 1.3, 1.3, 1.3, 1.2, 1.2, 1.4]
    + [1.1, 1.0, 1.0, 1.0, 0.8, 0.7, 0.7, 0.7, 0.6, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5]
    + [0.4] * 12
    + [0.3] * 12
    + [0.2] * 19
)
MALE_CHARS = (
    "伟强磊军洋勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志文博亮晨峰海东锋彬成"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲燕红梅琳雪婷慧莹洁晶颖倩欣怡佳蕾薇璐丹萍月琴云凤兰媛妍瑶梦诗雨涵馨悦"
)
GIVEN = MALE_CHARS + FEMALE_CHARS
ESTATES = "花园 苑 大厦 华庭 名苑 雅居 豪庭 公寓 小区 家园 新村 阁".split()
INSTITUTIONS = "中学 小学 中心医院 人民医院 职业技术学校 实验学校 外国语学校".split()
PHASES = "二期 三期 四期 五期 六期 七期 八期 九期".split()


class CompoundNames:
    """Compound names no community has yet (a taken name gets its next phase)."""

    def __init__(self, rng: np.random.Generator, session: Session, places, villages):
        self.rng = rng
        self.places, self.villages = list(places), list(villages)
        self.used: dict[str, set[str]] = {}
        for community, compound in session.execute(
            text(
                "SELECT DISTINCT community_code, compound FROM buildings WHERE compound IS NOT NULL"
            )
        ):
            self.used.setdefault(community, set()).add(compound)

    def new(self, community: str, kind: int) -> str:
        """A fresh name in `community` for a compound of building type `kind`."""
        used = self.used.setdefault(community, set())
        for _ in range(50):
            base = self._draw(kind)
            for name in [base] + [base + p for p in PHASES]:
                if name not in used:
                    used.add(name)
                    return name
        number = len(used)
        while f"{base}{number}区" in used:
            number += 1
        used.add(f"{base}{number}区")
        return f"{base}{number}区"

    def _draw(self, kind: int) -> str:
        pick = self.rng.choice
        if kind == VILLAGE:
            return str(pick(self.villages)) + str(pick(["村", "新村", "老村"]))
        if kind == DORM:
            return f"{pick(self.places)}{pick(INSTITUTIONS)}宿舍"
        return str(pick(self.places)) + str(pick(ESTATES))


def full_names(people: People, idx: np.ndarray) -> list[str]:
    """The names of people idx."""
    given = people.given[idx].tolist()
    return [
        SURNAMES[s] + GIVEN[g[0]] + (GIVEN[g[1]] if g[1] >= 0 else "")
        for s, g in zip(people.surname[idx].tolist(), given, strict=True)
    ]
