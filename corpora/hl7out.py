"""Writing reports as HL7 v2 ORU^R01 messages (and the sample directory's
MLLP and FHS/BHS batch files).

Report text goes into OBX-5. Decoding rule (see README): unescape each OBX-5
value (``\\.br\\`` is a line break), then join consecutive OBX values with
"\\n"; the result equals the gold ``text``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

VERSIONS = ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.5.1", "2.6", "2.7", "2.8"]
FIRST = ["Jane", "John", "Maria", "Wei", "Aisha", "Olga", "Pedro", "Grace", "Samuel", "Nora",
         "Tomas", "Lena", "Ravi", "Ines", "Kofi", "Hana"]
LAST = ["Testpatient", "Sample", "Synthetic", "Example", "Demo", "Placeholder", "Fictional",
        "Madeup", "Mockley", "Fakerson"]
LATIN1_LAST = ["M\u00fcller", "Gon\u00e7alves", "N\u00fa\u00f1ez", "Lef\u00e8vre", "Wei\u00df",
               "Sj\u00f6berg", "Ca\u00f1ete", "D\u00e9j\u00e0vu"]
PROVIDERS = [("4711", "Radley", "Anne"), ("5821", "Oakes", "Victor"), ("6932", "Chen", "Li"),
             ("7043", "Okafor", "Ada"), ("8154", "Bj\u00f6rk", "Elin")]
RADIOLOGISTS = ["Dr. Q. Imager", "Dr. P. Reader", "Dr. S. Viewer", "Dr. H. M\u00fcller",
                "Dr. A. Jim\u00e9nez"]
FACILITIES = [("RIS", "SYNTH_GENERAL"), ("PACSRPT", "SYNTH_NORTH"), ("RADWORKS", "SYNTH_CLINIC")]


@dataclass
class Meta:
    """Message-level values for one report."""

    control_id: str
    patient_id: str
    authority: str
    accession: str
    version: str
    status: str
    charset: str  # "", "UNICODE UTF-8", "8859/1"
    segment_sep: str
    obx_mode: str  # lines, ft, chunks
    accession_mode: str  # both, orc_only, obr_only, obr18
    indication_field: str | None  # "13", "31" or None
    obs_time: str
    dss: str
    code: list[str]
    name: tuple[str, str]
    dob: str
    sex: str
    provider: tuple[str, str, str]
    facility: tuple[str, str]


def escape(value: str) -> str:
    """HL7 escaping for the default encoding characters |^~\\&."""
    out = value.replace("\\", "\\E\\")
    for char, esc in (("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        out = out.replace(char, esc)
    return out


def segment(name: str, fields: dict[int, str]) -> str:
    last = max(fields) if fields else 0
    values = [fields.get(i, "") for i in range(1, last + 1)]
    return "|".join([name, *values])


def msh(meta: Meta, msg_type: str, time: str) -> str:
    trigger = msg_type if meta.version in ("2.3", "2.3.1") else (
        msg_type + "^" + msg_type.replace("^", "_"))
    fields = {3: meta.facility[0], 4: meta.facility[1], 5: "RADFOLLOW", 6: "QA", 7: time,
              9: trigger, 10: meta.control_id, 11: "P", 12: meta.version}
    if meta.charset:
        fields[18] = meta.charset
    values = [fields.get(i, "") for i in range(3, max(fields) + 1)]
    return "|".join(["MSH", "^~\\&", *values])


def obx_values(text: str, mode: str, rng: random.Random) -> list[tuple[str, str]]:
    """(value type, escaped OBX-5) pairs whose decoded values joined by \\n give text."""
    lines = text.split("\n")
    if mode == "lines":
        return [("TX", escape(line)) for line in lines]
    if mode == "ft":
        return [("FT", "\\.br\\".join(escape(line) for line in lines))]
    out, i = [], 0
    while i < len(lines):
        n = rng.randint(1, 4)
        chunk = lines[i:i + n]
        i += n
        kind = "ST" if len(chunk) == 1 and len(chunk[0]) < 200 else "TX"
        out.append((kind, "\\.br\\".join(escape(line) for line in chunk)))
    return out


def oru_message(meta: Meta, text: str, indication: str | None, rng: random.Random) -> str:
    acc = meta.accession
    orc3 = acc if meta.accession_mode in ("both", "orc_only") else ""
    obr3 = acc if meta.accession_mode in ("both", "obr_only") else ""
    placer = "ORD" + meta.control_id[-6:]
    family, given = meta.name
    pid_id, pfam, pgiven = meta.provider
    provider = f"{pid_id}^{escape(pfam)}^{escape(pgiven)}^^^^MD"
    obr = {1: "1", 2: placer, 3: obr3, 4: "^".join(escape(c) for c in meta.code), 7: meta.obs_time,
           16: provider, 22: meta.obs_time[:12], 24: meta.dss, 25: meta.status}
    if meta.accession_mode == "obr18":
        obr[18] = acc
    if indication and meta.indication_field == "13":
        obr[13] = escape(indication)
    elif indication and meta.indication_field == "31":
        obr[31] = "^" + escape(indication)
    segs = [
        msh(meta, "ORU^R01", meta.obs_time[:14]),
        segment("PID", {1: "1", 3: f"{meta.patient_id}^^^{meta.authority}^MR",
                        5: f"{escape(family)}^{escape(given)}^^^^^L", 7: meta.dob, 8: meta.sex}),
        segment("PV1", {1: "1", 2: rng.choice(["O", "E", "I"])}),
        segment("ORC", {1: "RE", 2: placer, 3: orc3, 5: "CM"}),
        segment("OBR", obr),
    ]
    obx_status = {"F": "F", "C": "C", "P": "P"}[meta.status]
    for n, (kind, value) in enumerate(obx_values(text, meta.obx_mode, rng), start=1):
        segs.append(segment("OBX", {1: str(n), 2: kind,
                                    3: "18782-3^Radiology Study observation^LN",
                                    5: value, 11: obx_status}))
    return meta.segment_sep.join(segs) + meta.segment_sep


def encode(message: str, charset: str) -> bytes:
    return message.encode("latin-1" if charset == "8859/1" else "utf-8")


def adt_message(sep: str) -> str:
    segs = [
        "MSH|^~\\&|ADT|SYNTH_GENERAL|RADFOLLOW|QA|20260302080000||ADT^A01^ADT_A01|ADT000001|P|2.5.1",
        "EVN|A01|20260302080000",
        "PID|1||MRN900001^^^SYNTHHOSP^MR||Admitonly^Test^^^^^L||19700101|M",
        "PV1|1|I|WARD1^101^A",
    ]
    return sep.join(segs) + sep


def batch_file(messages: list[str], sep: str) -> str:
    head = [
        "FHS|^~\\&|RIS|SYNTH_GENERAL|RADFOLLOW|QA|20260302090000||batch-0001",
        "BHS|^~\\&|RIS|SYNTH_GENERAL|RADFOLLOW|QA|20260302090000||batch-0001",
    ]
    tail = [f"BTS|{len(messages)}", "FTS|1"]
    return sep.join(head) + sep + "".join(messages) + sep.join(tail) + sep


def mllp(messages: list[bytes]) -> bytes:
    return b"".join(b"\x0b" + m + b"\x1c\x0d" for m in messages)


def random_meta(rng: random.Random, n: int, exam: dict[str, Any], has_indication: bool) -> Meta:
    charset = rng.choices(["", "UNICODE UTF-8", "8859/1"], [78, 15, 7])[0]
    last = rng.choice(LATIN1_LAST if charset == "8859/1" or rng.random() < 0.05 else LAST)
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    hour, minute = rng.randint(7, 19), rng.randint(0, 59)
    stamp = f"2025{month:02d}{day:02d}{hour:02d}{minute:02d}{rng.randint(0, 59):02d}"
    tz = rng.choices(["-0500", "-0400", "+0100", "", "short"], [35, 15, 10, 30, 10])[0]
    obs_time = stamp[:12] if tz == "short" else stamp + tz
    return Meta(
        control_id=rng.choice(["RF", "MSG", "CTL"]) + f"{20250000 + n * 7:08d}",
        patient_id=f"MRN{100000 + n * 37 % 900000:06d}",
        authority=rng.choice(["SYNTHHOSP", "SYNTHCLINIC"]),
        accession=rng.choice(["A", "ACC", exam["modality"]]) + f"25{n:06d}",
        version=rng.choice(VERSIONS), status="F", charset=charset,
        segment_sep=rng.choices(["\r", "\n", "\r\n"], [80, 10, 10])[0],
        obx_mode=rng.choices(["lines", "ft", "chunks"], [45, 30, 25])[0],
        accession_mode=rng.choices(["both", "orc_only", "obr_only", "obr18"], [70, 10, 10, 10])[0],
        indication_field=rng.choice(["13", "31"]) if has_indication else None,
        obs_time=obs_time, dss=rng.choice(exam["dss"]), code=rng.choice(exam["codes"]),
        name=(last, rng.choice(FIRST)),
        dob=f"19{rng.randint(30, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        sex=rng.choice(["F", "M"]) if exam["modality"] != "MG" else "F",
        provider=rng.choice(PROVIDERS), facility=rng.choice(FACILITIES),
    )
