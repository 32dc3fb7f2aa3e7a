"""The oracle contract: whoever answers the questions (a simulation, a file, a person).

The Protocol itself, with every member the engine reads, is :class:`alframe.protocols.Oracle`
(re-exported here, where plugin authors have always imported it); :class:`OracleBase` holds the
optional members at their defaults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alframe.protocols import Oracle, OracleBase

__all__ = ["Oracle", "OracleBase", "closing_questions"]


@contextmanager
def closing_questions(oracle: Oracle) -> Iterator[None]:
    """Around a round's questions: the oracle's ``close()``, if it has one, when they end."""
    try:
        yield
    finally:
        if oracle.close is not None:
            oracle.close()
