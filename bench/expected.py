#!/usr/bin/env python3
"""What the first seed's ssh filter should find in a genlog file, computed without any of
riposte's code (Python's re and ipaddress), to check the counts of the benchmarks.
usage: expected.py FILE RETRY > json
Prints: lines, failures (lines that one of the 4 regexes matches with a valid address; a
line counts once), hits per regex (the first that matches, as riposte tries them in order),
how genlog's 5 failure kinds fall on the regexes, distinct addresses, and the triggers of
a filter with this retry when every line is read within one retryperiod: per address
floor(failures / retry), since the count starts again from zero after each trigger."""
import ipaddress, json, re, sys

# An address as the seed's <ip> (type ip) takes it: a whole token, never part of a longer
# dotted or alphanumeric one; validated by ipaddress below.
IP = r'(?<![\w.:])([0-9A-Fa-f:.]+)(?![\w.:])'
REGEXES = [
    r'authentication failure;.*rhost=' + IP,
    r'Failed password for .* from ' + IP,
    r'Invalid user .* from ' + IP,
    r'banner exchange: Connection from ' + IP + r' port [0-9]*: invalid format',
]
# genlog.py's failure lines, told apart by their fixed text (most specific first).
KINDS = [
    ('Failed password for invalid user', 'Failed password for invalid user '),
    ('Failed password for USER', 'Failed password for '),
    ('Invalid user', 'Invalid user '),
    ('pam authentication failure', 'authentication failure; '),
    ('banner exchange', 'banner exchange: '),
]
COMPILED = [re.compile(r) for r in REGEXES]


def address(text):
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.compressed


def kind_of(line):
    for name, text in KINDS:
        if text in line:
            return name
    return None


def main():
    path, retry = sys.argv[1], int(sys.argv[2])
    lines = 0
    hits = [0] * len(REGEXES)
    per_address = {}
    kinds = {name: {'lines': 0, 'regexes': {}} for name, _ in KINDS}
    several = 0
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            lines += 1
            found = []
            for i, regex in enumerate(COMPILED):
                m = regex.search(line)
                if m is not None and address(m.group(1)) is not None:
                    found.append((i, address(m.group(1))))
            kind = kind_of(line)
            if kind is not None:
                k = kinds[kind]
                k['lines'] += 1
                key = '+'.join(str(i + 1) for i, _ in found) or 'none'
                k['regexes'][key] = k['regexes'].get(key, 0) + 1
            if not found:
                continue
            several += len(found) > 1
            first, ip = found[0]
            hits[first] += 1
            per_address[ip] = per_address.get(ip, 0) + 1
    failures = sum(hits)
    json.dump({
        'lines': lines,
        'failures': failures,
        'hitsPerRegex': hits,
        'linesMatchingSeveralRegexes': several,
        'kinds': kinds,
        'addresses': len(per_address),
        'retry': retry,
        'triggers': sum(n // retry for n in per_address.values()),
    }, sys.stdout)


main()
