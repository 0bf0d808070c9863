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
    occupants, so vacancy, households, tenants and overcrowding all follow from two measures."""
    kinds = raw.get("kind", {})
    houses = {int(k): n for k, n in raw.get("houses", {}).items()}
    rentals = {int(k): n for k, n in raw.get("rentals", {}).items()}
    tenants = sum(k * n for k, n in rentals.items())
    all_houses = sum(houses.values())
    ages = raw.get("birth", {})
    out = {
        "population": sum(kinds.values()),
        "residents": kinds.get("resident", 0),
        "floating": kinds.get("floating", 0),
        "households": all_houses - houses.get(0, 0),
        "houses": all_houses,
        "vacant": houses.get(0, 0),
        "rentals": sum(rentals.values()),
        "tenants": tenants,
        "people_per_rental": round(tenants / sum(rentals.values()), 2) if rentals else None,
        "overcrowded_rentals": sum(n for k, n in rentals.items() if k > crowded_above),
        "floating_by_province": dict(sorted(raw.get("origin", {}).items())),
        "floating_by_reason": dict(sorted(raw.get("reason", {}).items())),
        "age_bands": {band: ages.get(band, 0) for band in AGE_BANDS},
        "arrivals": raw.get("arrivals", {}).get("", 0),
        "departures": raw.get("departures", {}).get("", 0),
    }
    return {name: out[name] for name in wanted}
