"""Estimate transaction virtual size and fees for a set of inputs and outputs."""
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal
from enum import Enum
from typing import Dict, List

SATS_PER_BTC = Decimal(100_000_000)


class InputType(Enum):
    P2PKH = "p2pkh"
    P2WPKH = "p2wpkh"
    P2TR = "p2tr"

    @property
    def weight(self) -> int:
        return {InputType.P2PKH: 592, InputType.P2WPKH: 272, InputType.P2TR: 230}[self]


OUTPUT_VBYTES: Dict[str, int] = {"p2pkh": 34, "p2wpkh": 31, "p2tr": 43, "p2sh": 32}


@dataclass
class TxPlan:
    inputs: List[InputType]
    outputs: List[str]
    fee_rate: Decimal
    breakdown: Dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fee_rate <= 0:
            raise ValueError("fee rate must be positive")
        unknown = [o for o in self.outputs if o not in OUTPUT_VBYTES]
        if unknown:
            raise ValueError(f"unknown output types: {unknown}")

    @property
    def is_segwit(self) -> bool:
        return any(i is not InputType.P2PKH for i in self.inputs)

    def vsize(self) -> int:
        overhead_wu = 4 * 10 + (2 if self.is_segwit else 0)
        input_wu = sum(i.weight for i in self.inputs)
        output_wu = 4 * sum(OUTPUT_VBYTES[o] for o in self.outputs)
        self.breakdown = {"overhead_wu": overhead_wu, "inputs_wu": input_wu, "outputs_wu": output_wu}
        return -(-(overhead_wu + input_wu + output_wu) // 4)

    def fee_sats(self) -> int:
        return int((self.fee_rate * self.vsize()).to_integral_value(rounding=ROUND_UP))


def estimate_fee(inputs: List[str], outputs: List[str], sat_per_vbyte: float = 10.0) -> dict:
    plan = TxPlan([InputType(i) for i in inputs], outputs, Decimal(str(sat_per_vbyte)))
    fee = plan.fee_sats()
    return {
        "vsize": plan.vsize(),
        "fee_sats": fee,
        "fee_btc": str((Decimal(fee) / SATS_PER_BTC).quantize(Decimal("0.00000001"))),
        "segwit": plan.is_segwit,
        "breakdown": plan.breakdown,
    }


if __name__ == "__main__":
    print(estimate_fee(["p2wpkh", "p2tr"], ["p2wpkh", "p2tr"], 12.5))
