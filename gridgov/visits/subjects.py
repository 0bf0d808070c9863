"""What a door visit is for. Each subject type (a declaration, a plain house check, ...) registers
what happens when a result for one of its subjects is accepted; the visits package calls it in
the upload's transaction and never imports the subject's package (dependencies run one way)."""

from collections.abc import Callable

# on_result(w, subject_id, result, corrected, proof_ok): `result` is confirmed, differs,
# nobody_there or refused; `corrected` the fields the worker corrected (plain, as sent; None
# when none); `proof_ok` whether the proof of visit held. It writes through `w` and must not
# commit: the upload commits the result and what the subject made of it together. It should
# not raise for a result it cannot use (proof_ok false, a subject since decided): a raise
# refuses the whole record, the kept result with it.
OnResult = Callable[..., None]
# describe(principal, subject_ids) -> {subject_id: dict}: what a task's reader is shown of its
# subject (masked as every view is), e.g. the declared fields a worker is to check.
Describe = Callable[..., dict]

_HANDLERS: dict[str, OnResult] = {}
_DESCRIBERS: dict[str, Describe] = {}

HOUSE_CHECK = "house_check"


def register(subject_type: str, on_result: OnResult, describe: Describe | None = None) -> None:
    """Hang a subject type on door visits (at import time of the subject's package)."""
    if len(subject_type) > 30:
        raise ValueError(f"subject type {subject_type!r} is longer than 30 characters")
    _HANDLERS[subject_type] = on_result
    if describe is not None:
        _DESCRIBERS[subject_type] = describe


def known(subject_type: str) -> bool:
    return subject_type in _HANDLERS


def dispatch(w, subject_type: str, subject_id: int, result: str, corrected, proof_ok: bool):
    """Tell the subject of a task what the visit found."""
    _HANDLERS[subject_type](w, subject_id, result, corrected, proof_ok)


def describe(principal, subject_type: str, subject_ids: set[int]) -> dict:
    """What the reader of these tasks is shown of their subjects (nothing, by default)."""
    describer = _DESCRIBERS.get(subject_type)
    return describer(principal, subject_ids) if describer is not None else {}


def _house_checked(w, subject_id, result, corrected, proof_ok) -> None:
    """A plain door visit: the result itself is the record (kept in visit_results)."""


register(HOUSE_CHECK, _house_checked)
