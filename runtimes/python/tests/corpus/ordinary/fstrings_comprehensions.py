"""f-strings, comprehensions and the walrus operator."""


def format_table(rows: list, width: int = 8) -> str:
    header = f"{'name':<{width}}|{'value':>{width}}"
    lines = [header, "-" * len(header)]
    lines += [f"{name:<{width}}|{value:>{width}.2f}" for name, value in rows]
    totals = {name: value for name, value in rows if value > 0}
    unique = {round(v) for _, v in rows}
    if (n := len(rows)) > 3:
        lines.append(f"{n=} rows, positive={len(totals)}, unique={sorted(unique)!r}")
    nested = [[i * j for j in range(3)] for i in range(3)]
    lines.append(f"{sum(x for row in nested for x in row)}")
    return "\n".join(lines)
