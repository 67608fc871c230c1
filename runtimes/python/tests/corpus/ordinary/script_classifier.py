"""Classify Bitcoin output scripts and pull out OP_RETURN payloads."""
from typing import List, Tuple, Union

OPCODES = {0x00: "OP_0", 0x51: "OP_1", 0x6A: "OP_RETURN", 0x76: "OP_DUP", 0x87: "OP_EQUAL",
           0x88: "OP_EQUALVERIFY", 0xA9: "OP_HASH160", 0xAC: "OP_CHECKSIG", 0xAE: "OP_CHECKMULTISIG"}
Op = Union[str, bytes]


class ScriptError(Exception):
    pass


def classify_scripts(scripts_hex: List[str]) -> List[dict]:
    results = []
    for s in scripts_hex:
        try:
            ops = parse_script(bytes.fromhex(s))
        except (ScriptError, ValueError) as exc:
            results.append({"script": s, "type": "invalid", "error": str(exc)})
            continue
        kind, data = classify(ops)
        entry = {"script": s, "type": kind, "data": data}
        if kind == "nulldata":
            entry["text"] = bytes.fromhex(data).decode("utf-8", "replace")
        results.append(entry)
    return results


def parse_script(script: bytes) -> List[Op]:
    ops: List[Op] = []
    i = 0
    while i < len(script):
        op = script[i]
        i += 1
        if op in (0x4C, 0x4D) and i + (op - 0x4B) > len(script):
            raise ScriptError("truncated push length")
        if 1 <= op <= 75:
            n = op
        elif op == 0x4C:
            n, i = script[i], i + 1
        elif op == 0x4D:
            n, i = int.from_bytes(script[i:i + 2], "little"), i + 2
        else:
            ops.append(OPCODES.get(op, f"OP_{op:#04x}"))
            continue
        if i + n > len(script):
            raise ScriptError(f"push of {n} bytes runs past end of script")
        ops.append(script[i:i + n])
        i += n
    return ops


def classify(ops: List[Op]) -> Tuple[str, str]:
    match ops:
        case ["OP_DUP", "OP_HASH160", bytes() as h, "OP_EQUALVERIFY", "OP_CHECKSIG"] if len(h) == 20:
            return "p2pkh", h.hex()
        case ["OP_HASH160", bytes() as h, "OP_EQUAL"] if len(h) == 20:
            return "p2sh", h.hex()
        case ["OP_0", bytes() as h] if len(h) in (20, 32):
            return ("p2wpkh" if len(h) == 20 else "p2wsh"), h.hex()
        case ["OP_1", bytes() as h] if len(h) == 32:
            return "p2tr", h.hex()
        case ["OP_RETURN", *pushes]:
            return "nulldata", b"".join(p for p in pushes if isinstance(p, bytes)).hex()
        case _:
            return "nonstandard", ""


if __name__ == "__main__":
    print(classify_scripts(["76a914" + "11" * 20 + "88ac", "6a0b68656c6c6f20776f726c64", "0014" + "22" * 20, "4c"]))
