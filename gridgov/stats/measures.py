"""What each measure means, computed from the raw counts {measure: {key: n}} of one area."""

AGE_BANDS = ("0-5", "6-17", "18-59", "60-79", "80+")

# Measures that count people on a day, those over a period, and those a series can follow.
MEASURES = (
    "population",
    "residents",
    "floating",
    "households",
    "houses",
    "vacant",
    "rentals",
    "tenants",
    "people_per_rental",
    "overcrowded_rentals",
    "floating_by_province",
    "floating_by_reason",
    "age_bands",
    "arrivals",
    "departures",
)
PERIOD_MEASURES = frozenset({"arrivals", "departures"})
# Asked for by default; arrivals and departures too when a period is given.
DAY_MEASURES = tuple(m for m in MEASURES if m not in PERIOD_MEASURES)
SERIES_MEASURES = ("population", "residents", "floating")


def values(raw: dict[str, dict[str, int]], wanted: tuple[str, ...], crowded_above: int) -> dict:
    """The wanted measures of one area. Houses and rentals are counted by their number of
    occupants (the key, as text), so vacancy, households, tenants and overcrowding all follow
    from two measures. Run for every area of an answer: plain loops, no dict made twice."""
    kinds = raw.get("kind", _NONE)
    houses = raw.get("houses", _NONE)
    all_houses = sum(houses.values())
    vacant = houses.get("0", 0)
    rentals = tenants = overcrowded = 0
    for key, n in raw.get("rentals", _NONE).items():
        occupants = int(key)
        rentals += n
        tenants += occupants * n
        if occupants > crowded_above:
            overcrowded += n
    ages = raw.get("birth", _NONE)
    out = {
        "population": sum(kinds.values()),
        "residents": kinds.get("resident", 0),
        "floating": kinds.get("floating", 0),
        "households": all_houses - vacant,
        "houses": all_houses,
        "vacant": vacant,
        "rentals": rentals,
        "tenants": tenants,
        "people_per_rental": round(tenants / rentals, 2) if rentals else None,
        "overcrowded_rentals": overcrowded,
        "floating_by_province": dict(sorted(raw.get("origin", _NONE).items())),
        "floating_by_reason": dict(sorted(raw.get("reason", _NONE).items())),
        "age_bands": {band: ages.get(band, 0) for band in AGE_BANDS},
        "arrivals": raw.get("arrivals", _NONE).get("", 0),
        "departures": raw.get("departures", _NONE).get("", 0),
    }
    return {name: out[name] for name in wanted}


_NONE: dict = {}
