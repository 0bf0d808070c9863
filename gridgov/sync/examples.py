"""Examples of upload batches for the OpenAPI document (what a handheld sends)."""

_AT = "2026-11-28T10:00:00+08:00"
_POSITION = {"lon": 114.005, "lat": 22.515, "crs": "wgs84"}

_NEW_HOUSE = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a01",
    "type": "house",
    "op": "upsert",
    "captured_at": _AT,
    "position": _POSITION,
    "data": {
        "compound": "桃源小区",
        "building": "3栋",
        "unit": "1",
        "floor": 3,
        "room": "301",
        "use": "01",
        "rented": True,
        "location": {"lon": 114.005, "lat": 22.515, "crs": "wgs84"},
        "rental": {
            "landlord_name": "陈大文",
            "landlord_id_number": "440303197001010016",
            "landlord_phone": "13800138000",
            "rental_use": "01",
            "hazards": [],
        },
    },
}

_NEW_PERSON = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a02",
    "type": "person",
    "op": "upsert",
    "captured_at": _AT,
    "position": _POSITION,
    "data": {
        "id_number": "440303199001010013",
        "capture_method": "card_reader",
        "name": "李小明",
        "sex": "1",
        "ethnicity": "01",
        "phone": "13912345678",
        "kind": "floating",
        "house_code": "4403030010010000101003301",
        "floating": {
            "inflow_reason": "01",
            "arrival_date": "2026-03-01",
            "origin_code": "430302",
            "residence_type": "01",
        },
    },
}

_EDIT = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a03",
    "type": "person",
    "op": "upsert",
    "base_version": 2,
    "captured_at": _AT,
    "position": _POSITION,
    "data": {"id": 17, "name": "李晓明"},
}

_MOVE = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a04",
    "type": "person",
    "op": "move",
    "base_version": 3,
    "captured_at": _AT,
    "position": _POSITION,
    "data": {"id": 17, "house_code": "4403030010010000101004402", "moved_in": "2026-11-27"},
}

_DELETE = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a05",
    "type": "house",
    "op": "delete",
    "base_version": 1,
    "captured_at": _AT,
    "position": _POSITION,
    "data": {"code": "4403030010010000101003302"},
}

_VISITED = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a06",
    "type": "visit",
    "op": "result",
    "captured_at": _AT,
    "position": _POSITION,
    "data": {
        "task_id": 41,
        "result": "differs",
        "corrected": {"phone": "13700001111", "occupation": "厨师"},
        "note": "户主在家，电话已更换",
    },
}

_NOBODY = {
    "uuid": "0f8e1c52-3a55-4b8e-9a55-2f1f3b3c9a07",
    "type": "visit",
    "op": "result",
    "captured_at": _AT,
    "position": _POSITION,
    "data": {"task_id": 42, "result": "nobody_there"},
}

UPLOAD = {
    "new records": {
        "summary": "A new rented house (the server codes it) and a floating person in it",
        "value": {"device_id": "pda-0042", "records": [_NEW_HOUSE, _NEW_PERSON]},
    },
    "edits": {
        "summary": "A renamed person (the fields left out keep their values), a move, a delete",
        "value": {"device_id": "pda-0042", "records": [_EDIT, _MOVE, _DELETE]},
    },
    "door visits": {
        "summary": "Results of two door-visit tasks (GET /sync/changes, type visit)",
        "value": {"device_id": "pda-0042", "records": [_VISITED, _NOBODY]},
    },
}
