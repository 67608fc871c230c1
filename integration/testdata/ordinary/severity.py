from enum import Enum, IntEnum


class Level(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Action(str, Enum):
    IGNORE = "ignore"
    REVIEW = "review"
    BLOCK = "block"


ACTIONS = {Level.LOW: Action.IGNORE, Level.MEDIUM: Action.REVIEW, Level.HIGH: Action.BLOCK}


def triage(score: float, floor: Level = Level.LOW):
    """Maps a score in [0, 1] to a level and the action it calls for."""
    if score >= 0.8:
        level = Level.HIGH
    elif score >= 0.4:
        level = Level.MEDIUM
    else:
        level = Level.LOW
    level = max(level, floor)
    return {"level": level.name, "rank": level, "action": ACTIONS[level], "known": [a.value for a in Action]}
