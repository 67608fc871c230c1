"""Parse log lines with regular expressions and emit JSON."""
import json
import re

LINE = re.compile(r"^(?P<ts>\d{4}-\d{2}-\d{2}) (?P<level>[A-Z]+) (?P<msg>.*)$")


def parse_logs(text: str) -> str:
    entries = []
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        entry = m.groupdict()
        entry["words"] = len(re.findall(r"\w+", entry["msg"]))
        entries.append(entry)
    try:
        extra = json.loads('{"source": "agent"}')
    except json.JSONDecodeError as exc:
        extra = {"error": str(exc)}
    return json.dumps({"entries": entries, **extra}, sort_keys=True, indent=2)
