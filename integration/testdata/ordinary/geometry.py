"""Shapes an agent uses to reason about regions of an image."""
import math


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def distance(self, other):
        return math.hypot(self.x - other.x, self.y - other.y)

    def __repr__(self):
        return f"Point({self.x}, {self.y})"


class Polygon:
    def __init__(self, points):
        if len(points) < 3:
            raise ValueError("a polygon needs at least three points")
        self.points = [Point(x, y) for x, y in points]

    @property
    def perimeter(self):
        pts = self.points
        return sum(pts[i].distance(pts[(i + 1) % len(pts)]) for i in range(len(pts)))

    def area(self):
        pts = self.points
        twice = sum(pts[i].x * pts[(i + 1) % len(pts)].y - pts[(i + 1) % len(pts)].x * pts[i].y
                    for i in range(len(pts)))
        return abs(twice) / 2

    @classmethod
    def square(cls, side):
        return cls([(0, 0), (side, 0), (side, side), (0, side)])


def polygon_metrics(points: list, scale: float = 1.0):
    """Area and perimeter of a polygon given as [[x, y], ...]."""
    poly = Polygon([(x * scale, y * scale) for x, y in points])
    return {
        "vertices": len(poly.points),
        "area": round(poly.area(), 6),
        "perimeter": round(poly.perimeter, 6),
        "first": repr(poly.points[0]),
        "unit_square_area": Polygon.square(1).area(),
    }
