"""Event-sourced account ledger: immutable events folded into balances."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import reduce
from typing import Dict, List, Tuple


class LedgerError(Exception):
    pass


class InsufficientFunds(LedgerError):
    def __init__(self, account: str, needed: Decimal, available: Decimal) -> None:
        super().__init__(f"{account}: needs {needed}, has {available}")
        self.account = account


@dataclass(frozen=True)
class Event:
    kind: str
    account: str
    amount: Decimal
    counterparty: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", Decimal(str(self.amount)))
        if self.amount <= 0:
            raise LedgerError(f"non-positive amount in {self.kind} event")


@dataclass(frozen=True)
class State:
    balances: Dict[str, Decimal] = field(default_factory=dict)
    applied: int = 0
    rejected: Tuple[str, ...] = ()

    def balance(self, account: str) -> Decimal:
        return self.balances.get(account, Decimal(0))


def replay_ledger(events: List[dict]) -> dict:
    parsed = [Event(**e) for e in events]
    final = reduce(apply, parsed, State())
    return {
        "balances": {k: str(v) for k, v in sorted(final.balances.items())},
        "applied": final.applied,
        "rejected": list(final.rejected),
        "total": str(sum(final.balances.values(), Decimal(0))),
    }


def apply(state: State, ev: Event) -> State:
    b = dict(state.balances)
    try:
        if ev.kind == "deposit":
            b[ev.account] = state.balance(ev.account) + ev.amount
        elif ev.kind in ("withdraw", "transfer"):
            if state.balance(ev.account) < ev.amount:
                raise InsufficientFunds(ev.account, ev.amount, state.balance(ev.account))
            b[ev.account] = state.balance(ev.account) - ev.amount
            if ev.kind == "transfer":
                b[ev.counterparty] = state.balance(ev.counterparty) + ev.amount
        else:
            raise LedgerError(f"unknown event kind {ev.kind!r}")
    except LedgerError as exc:
        return replace(state, rejected=state.rejected + (str(exc),))
    return replace(state, balances=b, applied=state.applied + 1)


if __name__ == "__main__":
    print(replay_ledger([
        {"kind": "deposit", "account": "alice", "amount": "10.50"},
        {"kind": "transfer", "account": "alice", "amount": "4", "counterparty": "bob"},
        {"kind": "withdraw", "account": "bob", "amount": "5"},
    ]))
