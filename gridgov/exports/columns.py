"""The columns of every export, in one place: the Chinese header a clerk reads, the code table
whose label is shown beside a code, and which values are dates.

A coded field becomes two columns, the label first and the code beside it ('民族' 汉族, '民族代码'
01): the clerk reads and filters by the label; the code is what a report to the level above or
a re-import asks for, and it stays exact when a label is later renamed."""

from dataclasses import dataclass

from gridgov.houses.schemas import HOUSE_CODES, RENTAL_CODES
from gridgov.people import schemas as person_schemas
from gridgov.stats.measures import AGE_BANDS

# Code tables that are not rows of `codes`: areas by their names, regions by GB/T 2260.
AREA = "area"
REGION = "region"
PROVINCE = "province"


@dataclass(frozen=True)
class Column:
    key: str  # the field of the flattened view
    header: str
    labels: str | None = None  # the table whose label goes beside the code
    date: bool = False
    many: bool = False  # a list of codes, joined with ';'


HEADERS = {
    # houses
    "code": "房屋编码",
    "community": "社区代码",
    "grid": "网格编码",
    "compound": "小区/院落",
    "building": "楼栋",
    "unit": "单元",
    "floor": "楼层",
    "room": "房号",
    "use": "房屋用途",
    "structure": "房屋结构",
    "floor_area": "建筑面积(㎡)",
    "owner_name": "房主姓名",
    "owner_id_number": "房主身份证号(脱敏)",
    "rented": "是否出租",
    "lon": "经度(WGS84)",
    "lat": "纬度(WGS84)",
    "rental.landlord_name": "出租人姓名",
    "rental.landlord_id_number": "出租人身份证号(脱敏)",
    "rental.landlord_phone": "出租人电话(脱敏)",
    "rental.landlord_address": "出租人地址",
    "rental.rental_use": "出租用途",
    "rental.rented_area": "出租面积(㎡)",
    "rental.hazards": "隐患类型",
    "rental.registered_on": "出租登记日期",
    # persons
    "id": "人员编号",
    "id_number": "身份证号(脱敏)",
    "id_kind": "证件类别",
    "name": "姓名",
    "sex": "性别",
    "sex_mismatch": "性别与证号不符",
    "birth_year": "出生年份",
    "ethnicity": "民族",
    "phone": "联系电话(脱敏)",
    "kind": "人口类别",
    "house": "现住房屋编码",
    "origin_code": "户籍地区划代码",
    "inflow_reason": "流入原因",
    "arrival_date": "来本地日期",
    "special_concern": "是否重点关注",
    "capture_method": "采集方式",
    "details.former_name": "曾用名",
    "details.marital_status": "婚姻状况",
    "details.political_status": "政治面貌",
    "details.education": "学历",
    "details.religion": "宗教信仰",
    "details.occupation": "职业",
    "details.workplace": "工作单位",
    "details.hukou_address": "户籍地址",
    "details.resident.household_no": "户号",
    "details.resident.head_name": "户主姓名",
    "details.resident.relationship": "与户主关系",
    "details.floating.certificate_type": "居住凭证类型",
    "details.floating.certificate_no": "居住凭证号码",
    "details.floating.registered_on": "居住登记日期",
    "details.floating.expires_on": "居住证有效期至",
    "details.floating.residence_type": "居住处所类型",
    "details.floating.intended_stay": "拟居住期限",
}
# The header of a code column when its label stands beside it.
CODE_SUFFIX = "代码"
LABELLED = {
    **{k: t for k, t in HOUSE_CODES.items()},
    **{f"rental.{k}": t for k, t in RENTAL_CODES.items()},
    "rental.hazards": "hazard",
    **{k: t for k, t in person_schemas.PERSON_CODES.items()},
    **{f"details.{k}": t for k, t in person_schemas.PERSON_CODES.items()},
    **{f"details.resident.{k}": t for k, t in person_schemas.RESIDENT_CODES.items()},
    **{f"details.floating.{k}": t for k, t in person_schemas.FLOATING_CODES.items()},
    "inflow_reason": person_schemas.FLOATING_CODES["inflow_reason"],  # a column of its own
    "community": AREA,
    "grid": AREA,
    "origin_code": REGION,
}
# Area and region codes keep their own header; their name is the extra column.
NAME_HEADERS = {"community": "所属社区", "grid": "所属网格", "origin_code": "户籍地"}
DATES = frozenset(
    {
        "arrival_date",
        "rental.registered_on",
        "details.floating.registered_on",
        "details.floating.expires_on",
    }
)
KIND_LABELS = {"resident": "户籍人口", "floating": "流动人口"}
ID_KIND_LABELS = {
    "mainland": "居民身份证",
    "hong_kong": "港澳台居民居住证(香港)",
    "macao": "港澳台居民居住证(澳门)",
    "taiwan": "港澳台居民居住证(台湾)",
    "foreign_permanent": "外国人永久居留身份证",
}


def columns(keys: tuple[str, ...]) -> tuple[Column, ...]:
    """The columns of a record list whose flattened fields are `keys` (KeyError: a field
    without a header, caught by the tests when a schema gains a field)."""
    return tuple(
        Column(k, HEADERS[k], LABELLED.get(k), k in DATES, k == "rental.hazards") for k in keys
    )


def headers(cols: tuple[Column, ...]) -> tuple[str, ...]:
    out = []
    for c in cols:
        if c.labels in (AREA, REGION):
            out += [NAME_HEADERS[c.key], c.header]
        elif c.labels:
            out += [c.header, c.header + CODE_SUFFIX]
        else:
            out.append(c.header)
    return tuple(out)


# --- statistics --------------------------------------------------------------------------

STATS_HEADERS = {
    "code": "区划代码",
    "name": "名称",
    "population": "实有人口",
    "residents": "户籍人口",
    "floating": "流动人口",
    "households": "有人居住房屋",
    "houses": "房屋总数",
    "vacant": "空置房屋",
    "rentals": "出租房屋",
    "tenants": "承租人数",
    "people_per_rental": "每套出租房人数",
    "overcrowded_rentals": "群租房",
    "floating_by_province": "流动人口来源",
    "floating_by_reason": "流动人口流入原因",
    "age_bands": "年龄段",
    "arrivals": "迁入",
    "departures": "迁出",
}
# Which labels name the keys of a nested measure.
STATS_KEY_LABELS = {"floating_by_province": PROVINCE, "floating_by_reason": "inflow_reason"}
SERIES_HEADERS = ("月份", "截至日期", "实有人口", "户籍人口", "流动人口")
AGE_LABELS = {band: f"{band}岁" for band in AGE_BANDS}
