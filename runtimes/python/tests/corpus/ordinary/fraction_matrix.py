"""Exact rational matrix arithmetic: determinant, inverse and solving Ax=b."""
from __future__ import annotations

from fractions import Fraction
from typing import Iterator, List, Sequence, Union

Number = Union[int, Fraction]


class Matrix:
    def __init__(self, rows: Sequence[Sequence[Number]]) -> None:
        self.rows = [[Fraction(x) for x in r] for r in rows]
        if len({len(r) for r in self.rows}) > 1:
            raise ValueError("ragged matrix")

    @classmethod
    def identity(cls, n: int) -> Matrix:
        return cls([[int(i == j) for j in range(n)] for i in range(n)])

    @property
    def shape(self) -> tuple:
        return (len(self.rows), len(self.rows[0]) if self.rows else 0)

    def __iter__(self) -> Iterator[List[Fraction]]:
        return iter(self.rows)

    def __getitem__(self, idx: tuple) -> Fraction:
        i, j = idx
        return self.rows[i][j]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Matrix) and self.rows == other.rows

    def __matmul__(self, other: Matrix) -> Matrix:
        cols = list(zip(*other.rows))
        return Matrix([[sum((a * b for a, b in zip(r, c)), Fraction(0)) for c in cols] for r in self.rows])

    def __repr__(self) -> str:
        return "Matrix(%r)" % [[str(x) for x in r] for r in self.rows]

    def inverse_and_det(self) -> tuple:
        n = self.shape[0]
        a = [r[:] + e for r, e in zip(self.rows, Matrix.identity(n).rows)]
        det = Fraction(1)
        for col in range(n):
            pivot = next((r for r in range(col, n) if a[r][col] != 0), None)
            if pivot is None:
                return None, Fraction(0)
            if pivot != col:
                a[col], a[pivot] = a[pivot], a[col]
                det = -det
            p = a[col][col]
            det *= p
            a[col] = [x / p for x in a[col]]
            for r in range(n):
                if r != col and a[r][col]:
                    factor = a[r][col]
                    a[r] = [x - factor * y for x, y in zip(a[r], a[col])]
        return Matrix([r[n:] for r in a]), det


def solve_exact(a: List[List[int]], b: List[int]) -> dict:
    m = Matrix(a)
    inv, det = m.inverse_and_det()
    if inv is None:
        return {"det": "0", "solution": None}
    x = inv @ Matrix([[v] for v in b])
    assert m @ inv == Matrix.identity(m.shape[0])
    return {"det": str(det), "solution": [str(r[0]) for r in x], "inverse": [[str(v) for v in r] for r in inv]}


if __name__ == "__main__":
    print(solve_exact([[2, 1], [1, 3]], [3, 5]))
