"""Solve a 9x9 Sudoku with constraint propagation and backtracking."""
from copy import deepcopy
from typing import List, Optional, Set, Tuple

Grid = List[List[int]]


def solve_sudoku(puzzle: str) -> dict:
    """puzzle: 81 characters, digits or '.'/'0' for blanks."""
    cells = [int(ch) if ch.isdigit() else 0 for ch in puzzle if ch.isdigit() or ch == "."]
    if len(cells) != 81:
        return {"solved": False, "error": f"expected 81 cells, got {len(cells)}"}
    grid = [cells[i:i + 9] for i in range(0, 81, 9)]
    original = deepcopy(grid)
    stats = {"guesses": 0, "backtracks": 0}
    ok = solve(grid, stats)
    return {"solved": ok, "grid": ["".join(map(str, row)) for row in grid], "givens": sum(v != 0 for row in original for v in row), **stats}


def candidates(grid: Grid, r: int, c: int) -> Set[int]:
    used = set(grid[r]) | {grid[i][c] for i in range(9)}
    br, bc = 3 * (r // 3), 3 * (c // 3)
    used |= {grid[i][j] for i in range(br, br + 3) for j in range(bc, bc + 3)}
    return set(range(1, 10)) - used


def best_cell(grid: Grid) -> Optional[Tuple[int, int, Set[int]]]:
    best = None
    for r in range(9):
        for c in range(9):
            if grid[r][c] == 0:
                cand = candidates(grid, r, c)
                if best is None or len(cand) < len(best[2]):
                    best = (r, c, cand)
                    if len(cand) <= 1:
                        return best
    return best


def solve(grid: Grid, stats: dict) -> bool:
    cell = best_cell(grid)
    if cell is None:
        return True
    r, c, cand = cell
    for v in sorted(cand):
        grid[r][c] = v
        stats["guesses"] += 1
        if solve(grid, stats):
            return True
    grid[r][c] = 0
    stats["backtracks"] += 1
    return False


if __name__ == "__main__":
    print(solve_sudoku("53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"))
