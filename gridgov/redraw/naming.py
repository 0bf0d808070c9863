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


def _templates(code: str, name: str) -> set[str]:
    """The cell's name with its sequence number replaced by a slot, at each place it could be
    (社区001第1网格, cell 001: 社区{n:03d}第1网格 or 社区001第{n}网格; other cells decide)."""
    seq = int(code[12:])
    name = name.replace("{", "{{").replace("}", "}}")
    # zero-padded (渔民村003) or not (渔民村3); a width only where it adds a zero
    widths = [w for w in (3, 2) if len(str(seq)) < w] + [1]
    out = set()
    for width in widths:
        slot = f"{{n:0{width}d}}" if width > 1 else "{n}"
        for match in re.finditer(rf"(?<!\d){seq:0{width}d}(?!\d)", name):
            out.add(name[: match.start()] + slot + name[match.end() :])
    return out


def pattern(community_name: str, cells: list[tuple[str, str]]) -> str:
    """The naming pattern most of a community's cells ((code, name) pairs) follow, with a slot
    for the sequence number."""
    found = Counter(t for code, name in cells for t in _templates(code, name))
    if found:
        return max(found, key=lambda t: (found[t], "{n}" in t))
    return short_name(community_name) + "第{n}网格"


def name_for(template: str, code: str) -> str:
    return template.format(n=int(code[12:]))
