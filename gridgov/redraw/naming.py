"""Names for new grid cells that follow the community's own naming.

Districts name cells by a pattern with the sequence number in it (罗湖: 渔民村第3网格; elsewhere
东华门01网格, 多福巷社区3号网格). The pattern is read off the community's cells whose name holds
their own sequence number; a community without one gets "<community>第n网格" (its name without
the 社区居委会 suffix). Pure functions, no database.
"""

import re
from collections import Counter

SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "居委会", "村委会")


def short_name(community_name: str) -> str:
    for suffix in SUFFIXES:
        if community_name.endswith(suffix):
            return community_name[: -len(suffix)]
    return community_name


def _template(code: str, name: str) -> str | None:
    """The cell's name with its sequence number replaced by a slot, if it holds the number."""
    seq = int(code[12:])
    name = name.replace("{", "{{").replace("}", "}}")
    # zero-padded first (渔民村003 before 渔民村3); a width only where it adds a zero
    widths = [w for w in (3, 2) if len(str(seq)) < w] + [1]
    for width in widths:
        number = f"{seq:0{width}d}"
        if re.search(rf"(?<!\d){number}(?!\d)", name):
            slot = f"{{n:0{width}d}}" if width > 1 else "{n}"
            return re.sub(rf"(?<!\d){number}(?!\d)", slot, name, count=1)
    return None


def pattern(community_name: str, cells: list[tuple[str, str]]) -> str:
    """The naming pattern of a community's cells ((code, name) pairs), with a {n} slot."""
    found = Counter(t for code, name in cells if (t := _template(code, name)))
    if found:
        return found.most_common(1)[0][0]
    return short_name(community_name) + "第{n}网格"


def name_for(template: str, code: str) -> str:
    return template.format(n=int(code[12:]))
