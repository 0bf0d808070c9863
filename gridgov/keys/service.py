"""Retiring a data key: re-encrypt stored personal values under the newest one.

Each sealed value starts with the version of the key that sealed it. Adding a key with a higher
version to GRIDGOV_DATA_KEYS (of every process, restarted: keys are read at start) makes new
values use it; reseal() then re-encrypts the stored values a chunk of rows per transaction
(interrupted, it carries on where it stopped) until no value needs an older key, which can then
be removed from the configuration.
"""

from collections.abc import Callable

from sqlalchemy import func, select

from gridgov.audit.service import record
from gridgov.bulk import update_rows
from gridgov.crypto import Vault
from gridgov.extensions import db
from gridgov.houses.models import House, Rental
from gridgov.people.models import Person
from gridgov.sync.models import Conflict

# Every sealed column, with the purpose bound into its values.
SEALED = (
    (Person, "id_sealed", "person.id_number"),
    (Person, "phone_sealed", "person.phone"),
    (Person, "certificate_no_sealed", "person.certificate_no"),
    (House, "owner_id_sealed", "house.owner_id_number"),
    (Rental, "landlord_id_sealed", "rental.landlord_id_number"),
    (Rental, "landlord_phone_sealed", "rental.landlord_phone"),
    (Conflict, "theirs_sealed", "sync.conflict"),
)


def _name(model, column: str) -> str:
    return f"{model.__tablename__}.{column}"


def versions() -> dict[str, dict[int, int]]:
    """How many stored values each key version sealed, by column."""
    out = {}
    for model, column, _ in SEALED:
        sealed = getattr(model, column)
        version = func.get_byte(sealed, 0)
        rows = db.session.execute(
            select(version, func.count()).where(sealed.is_not(None)).group_by(version)
        )
        out[_name(model, column)] = dict(sorted(rows.all()))
    return out


def reseal(
    vault: Vault, chunk: int = 2000, progress: Callable[[str], None] = lambda _: None
) -> dict[str, int]:
    """Re-encrypt every value sealed under an older key; the number done, by column. A value
    under a key no longer configured stops it (KeyError_) with the work so far committed."""
    done = {}
    for model, column, purpose in SEALED:
        key = model.__mapper__.primary_key[0]
        sealed = getattr(model, column)
        done[_name(model, column)], after = 0, None
        while True:
            # Page by key: each chunk reads on from the last, not again from the start.
            stmt = select(key, sealed).where(
                sealed.is_not(None), func.get_byte(sealed, 0) != vault.current
            )
            if after is not None:
                stmt = stmt.where(key > after)
            rows = db.session.execute(stmt.order_by(key).limit(chunk).with_for_update()).all()
            if not rows:
                break
            after = rows[-1][0]
            fresh = [
                {key.name: k, column: vault.seal(vault.open(value, purpose), purpose)}
                for k, value in rows
            ]
            update_rows(db.session, model, fresh, key.name)
            record(
                "reseal",
                model.__tablename__,
                None,
                after={"column": column, "rows": len(rows), "key_version": vault.current},
            )
            db.session.commit()
            done[_name(model, column)] += len(rows)
            progress(f"{_name(model, column)}: {done[_name(model, column)]} re-encrypted")
    return done
