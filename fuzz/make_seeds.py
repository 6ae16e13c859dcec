#!/usr/bin/env python3
"""Build the fuzzers' seed corpora under fuzz/corpus/<target>/ (git-ignored).

Sources: the project's own etc/ files, a list of protocol lines written
here, and, when present, ../shared/corpus (nut-ddl dumps, NUT's sample data
files, HID report descriptors) and NUT's installed cmdvartab. Nothing from
../shared is committed: this script copies it at run time.

usage: fuzz/make_seeds.py [--shared DIR]
"""
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")

shared = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
if "--shared" in sys.argv:
    shared = sys.argv[sys.argv.index("--shared") + 1]

counts = {}


def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files_under(d, pattern=None):
    out = []
    if not os.path.isdir(d):
        return out
    for base, _, names in os.walk(d):
        for n in sorted(names):
            if pattern is None or re.search(pattern, n):
                out.append(os.path.join(base, n))
    return sorted(out)


etc = os.path.join(ROOT, "etc")
etc_files = files_under(etc)

# Config files, by loader.
conf_map = {
    "conf_ups": r"^ups\.conf$",
    "conf_upsd": r"^upsd\.conf$",
    "conf_users": r"^upsd\.users$",
    "conf_upsmon": r"^upsmon\.conf$",
    "conf_upssched": r"^upssched\.conf$",
    "conf_nutconf": r"^nut\.conf$",
    "conf_devfile": r"\.(dev|seq)$",
}
for target, pat in conf_map.items():
    for p in etc_files:
        if re.search(pat, os.path.basename(p)):
            seed(target, read(p))

# Small hand-written variants that reach the less common branches.
seed("conf_ups", 'maxretry = 3\nchroot = /x\n[ups]\n driver = dummy-ups\n port = a.dev\n desc = "A \\"quoted\\" UPS"\n'
     ' override.battery.charge.low = 30\n default.input.voltage = 230\n nolock\n sdorder = -1\n')
seed("conf_upsd", "LISTEN 127.0.0.1 3493\nLISTEN ::1\nMAXAGE 30\nMAXCONN 1024\nSTATEPATH /run/nut\nDATAPATH /usr/share/nut\n"
     "CERTFILE /x\nDISABLE_WEAK_SSL true\nTRACKINGDELAY 3600\nALLOW_NO_DEVICE 1\nBOGUS x\nLISTEN 1.2.3.4 70000\n")
seed("conf_users", "[admin]\n password = \"s e c r e t\"\n actions = SET FSD\n instcmds = ALL\n[mon]\n password=x\n upsmon primary\n"
     "[sec]\n password = y\n upsmon secondary\n[bad]\n actions\n upsmon\n")
seed("conf_upsmon", "MONITOR ups@localhost 1 mon pass primary\nMINSUPPLIES 1\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\n"
     "NOTIFYCMD /bin/notify\nPOLLFREQ 5\nPOLLFREQALERT 5\nHOSTSYNC 15\nDEADTIME 15\nPOWERDOWNFLAG /etc/killpower\n"
     "NOTIFYMSG ONBATT \"UPS %s on battery\"\nNOTIFYFLAG ONBATT SYSLOG+WALL+EXEC\nRBWARNTIME 43200\nNOCOMMWARNTIME 300\n"
     "FINALDELAY 5\nRUN_AS_USER nut\nMONITOR old@host 1 u p\n")
seed("conf_upssched", "CMDSCRIPT /bin/upssched-cmd\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n"
     "AT ONBATT * START-TIMER onbatt 30\nAT ONLINE * CANCEL-TIMER onbatt online\nAT LOWBATT ups@host EXECUTE lowbatt\n")
seed("conf_nutconf", "MODE=standalone\nUPSD_OPTIONS='-D'\nUPSMON_OPTIONS=\"\"\nPOWEROFF_WAIT=15m\n# comment\nMODE = none\n")
seed("conf_devfile", "ups.status: OB LB\nbattery.charge: 10\nTIMER 5\nups.alarm:\nALARM Replace battery\nALARM\n"
     "input.voltage: \"230 V\"\ndriver.name: x\n")
seed("conf_cmdvartab", 'VARDESC ups.status "UPS status"\nCMDDESC load.off "Turn off the load immediately"\n'
     'VARDESC "broken\nCMDDESC x\nVARDESC a "b" c\n')
if os.path.exists("/usr/share/nut/cmdvartab"):
    seed("conf_cmdvartab", read("/usr/share/nut/cmdvartab"))

# The lexer sees every kind of text.
for p in etc_files:
    seed("lexer", read(p))
seed("lexer", 'a "b c" d\\ e f=g # comment\n"x#y"\n"back\\\nslash"\n\x01\xff\tTAB\r\n')

# Network requests (one per file), our own list.
requests = [
    "VER", "NETVER", "PROTVER", "HELP", "LOGOUT", "STARTTLS", "USERNAME admin", 'PASSWORD "p w"',
    "LOGIN ups", "PRIMARY ups", "MASTER ups", "FSD ups", "GET VAR ups ups.status", "get var UPS Ups.Status",
    "GET TYPE ups battery.charge", "GET DESC ups ups.load", "GET CMDDESC ups load.off", "GET UPSDESC ups",
    "GET NUMLOGINS ups", "GET TRACKING", "GET TRACKING 0a1b2c3d-0000-4000-8000-000000000000", "LIST UPS",
    "LIST VAR ups", "LIST RW ups", "LIST CMD ups", "LIST ENUM ups input.transfer.low", "LIST RANGE ups input.sensitivity",
    "LIST CLIENT ups", 'SET VAR ups ups.id "my \\"ups\\" \\#1"', "SET TRACKING ON", "SET TRACKING off",
    "INSTCMD ups load.off", "INSTCMD ups beeper.mute 10", 'INSTCMD "u p s" "c#m" "p a r"', "GET VAR \"\" x",
]
for r in requests:
    seed("net_roundtrip", r + "\n")

# HTTP request heads for upsd's status page (our own list).
http_heads = [
    "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n",
    "HEAD /api/ups/my%2Dups HTTP/1.0\nConnection: keep-alive\n\n",
    "GET /api/history?since=1700000000 HTTP/1.1\r\nHost: x\r\n\r\nGET /api/list HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    "LIST UPS\r\n\r\n",
]
for h in http_heads:
    seed("http_request", h)

# Driver socket messages: fixed lines plus SETINFO dumps made from data files.
sock_lines = [
    'SETINFO ups.status "OL"', 'DELINFO ups.alarm', 'ADDENUM input.transfer.low "180"', 'DELENUM input.transfer.low "180"',
    "ADDRANGE input.transfer.high 250 280", "DELRANGE input.transfer.high 250 280", "SETAUX ups.id 16",
    "SETFLAGS ups.id RW STRING", "SETFLAGS ups.load NUMBER", "ADDCMD load.off", "DELCMD load.off", "DUMPDONE", "PONG",
    "DATAOK", "DATASTALE", "TRACKING 1234 0", "PID 42", "OK Goodbye", "DUMPALL", "PING",
    "INSTCMD load.off", "INSTCMD beeper.mute 10 TRACKING abc", 'SET ups.id "x y" TRACKING abc', "GETPID",
    "DUMPVALUE ups.status", "DUMPSTATUS", "NOBROADCAST", "BROADCAST 0", "LOGOUT",
]
seed("sock_roundtrip", "\n".join(sock_lines) + "\n")


def dump_from_dev(text):
    out = []
    for raw in text.decode("ascii", "ignore").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+):\s*(.*)$", raw)
        if m:
            value = m.group(2).replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#")
            out.append('SETINFO %s "%s"' % (m.group(1), value))
    out += ["ADDCMD load.off", "DATAOK", "DUMPDONE"]
    return "\n".join(out) + "\n"


# Data files from the shared corpus: every dump as a devfile seed, a
# sample of them as lexer and socket seeds.
ddl = files_under(os.path.join(shared, "nut-ddl"), r"\.(dev|nds)$")
main_data = files_under(os.path.join(shared, "nut-main-data"))
for i, p in enumerate(ddl + main_data):
    data = read(p)
    seed("conf_devfile", data)
    if i % 10 == 0 or p in main_data:
        seed("lexer", data)
        seed("sock_roundtrip", dump_from_dev(data))
for p in etc_files:
    if p.endswith(".dev"):
        seed("sock_roundtrip", dump_from_dev(read(p)))

# HID report descriptors and the report bytes recorded with them.
for p in files_under(os.path.join(shared, "hid"), r"\.txt$"):
    section = None
    hexes = []
    reports = []
    for line in read(p).decode("ascii", "ignore").splitlines():
        if line.startswith("["):
            section = line.split("]")[0] + "]"
            continue
        if line.startswith("#") or not line.strip():
            continue
        if section == "[report-descriptor]":
            hexes.append(line.strip())
        elif section == "[nut-values]":
            cols = line.split("\t")
            if len(cols) >= 6:
                try:
                    reports.append(bytes.fromhex(cols[5]))
                except ValueError:
                    pass
    try:
        desc = bytes.fromhex(" ".join(hexes))
    except ValueError:
        continue
    if not desc:
        continue
    seed("hid_descriptor", desc)
    prefix = len(desc).to_bytes(2, "little") + desc
    seed("hid_report", prefix + b"\x01\x00\x00\x00")
    for r in reports[:20]:
        seed("hid_report", prefix + r)

for t in sorted(set(list(conf_map) + ["conf_cmdvartab", "lexer", "http_request", "net_roundtrip", "sock_roundtrip",
                                      "hid_descriptor", "hid_report"])):
    d = os.path.join(CORPUS, t)
    n = len(os.listdir(d)) if os.path.isdir(d) else 0
    print("%-16s %5d seed files (%d new)" % (t, n, counts.get(t, 0)))
if not os.path.isdir(shared):
    print("note: %s not found; seeds come from etc/ and built-in lines only" % shared)
