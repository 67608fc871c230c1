def totals(values):
    """Takes a whole JSON list body."""
    positives = [v for v in values if v > 0]
    return {"count": len(values), "sum": sum(values), "positives": positives, "max": max(values)}
