"""Shortest paths, reachability and topological order on a small weighted graph."""
import heapq
from collections import defaultdict, deque
from typing import DefaultDict, Dict, List, Optional, Tuple

Graph = DefaultDict[str, List[Tuple[str, float]]]


def shortest_routes(edges: List[List], start: str, target: str) -> dict:
    g = build_graph(edges)
    dist, prev = dijkstra(g, start)
    return {
        "distance": dist.get(target),
        "path": path_to(prev, target) if target in dist else [],
        "reachable": sorted(dist),
        "topological_order": topo_order(g),
    }


def build_graph(edges: List[List]) -> Graph:
    g: Graph = defaultdict(list)
    for edge in edges:
        src, dst, *rest = edge
        g[src].append((dst, float(rest[0]) if rest else 1.0))
        g.setdefault(dst, [])
    return g


def dijkstra(g: Graph, start: str) -> Tuple[Dict[str, float], Dict[str, Optional[str]]]:
    dist = {start: 0.0}
    prev: Dict[str, Optional[str]] = {start: None}
    heap = [(0.0, start)]
    while heap:
        d, node = heapq.heappop(heap)
        if d > dist.get(node, float("inf")):
            continue
        for nxt, w in g[node]:
            nd = d + w
            if nd < dist.get(nxt, float("inf")):
                dist[nxt], prev[nxt] = nd, node
                heapq.heappush(heap, (nd, nxt))
    return dist, prev


def path_to(prev: Dict[str, Optional[str]], target: str) -> List[str]:
    path = []
    node: Optional[str] = target
    while node is not None:
        path.append(node)
        node = prev.get(node)
    return path[::-1]


def topo_order(g: Graph) -> Optional[List[str]]:
    indeg = {n: 0 for n in g}
    for n in g:
        for m, _ in g[n]:
            indeg[m] += 1
    queue = deque(sorted(n for n, d in indeg.items() if d == 0))
    order = []
    while queue:
        n = queue.popleft()
        order.append(n)
        for m, _ in g[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    return order if len(order) == len(indeg) else None


if __name__ == "__main__":
    print(shortest_routes([["a", "b", 1], ["b", "c", 2], ["a", "c", 5], ["c", "d"]], "a", "d"))
