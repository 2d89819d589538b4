#!/usr/bin/env python3
"""Independent check of the PDF/A-2u rules ketenpost relies on, for every PDF given.

Reads each file with pikepdf (qpdf's parser, not the library that wrote it) and runs
`qpdf --check` and `pdffonts`. Prints one line per broken rule (`file: rule: detail`) and
exits 1 when any rule is broken. docs/formats.md lists the rules checked and those not.

Usage: pdfa_check.py FILE.pdf...
"""

import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}
FORBIDDEN_ACTIONS = {
    "/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/JavaScript", "/Hide",
    "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView",
}
# Keys that only occur with JavaScript, external content or forbidden features.
FORBIDDEN_KEYS = {"/JS", "/AA", "/Ref", "/OPI", "/EmbeddedFiles", "/XFA", "/FFilter",
                  "/FDecodeParms", "/Encrypt", "/PS"}


class Report:
    def __init__(self, path):
        self.path = path
        self.problems = []

    def fail(self, rule, detail=""):
        self.problems.append(f"{self.path}: {rule}: {detail}")


def text(value):
    return str(value) if value is not None else None


def check_structure(pdf, r):
    if not pdf.pdf_version.startswith(("1.4", "1.5", "1.6", "1.7")):
        r.fail("6.1.2 header", f"PDF version {pdf.pdf_version}")
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        r.fail("6.1.3 encryption", "the file is encrypted")
    ids = pdf.trailer.get("/ID")
    if not isinstance(ids, Array) or len(ids) != 2 or any(len(bytes(i)) == 0 for i in ids):
        r.fail("6.1.3 trailer /ID", f"missing or malformed: {ids!r}")


def dictionaries(obj, where):
    """Every dictionary (and stream) in `obj`, also nested direct ones, not following references."""
    if isinstance(obj, (Dictionary, Stream)):
        yield obj, where
        for key in obj.keys():
            yield from nested(obj.get(key), where)
    elif isinstance(obj, Array):
        for value in obj:
            yield from nested(value, where)


def nested(value, where):
    if isinstance(value, (Dictionary, Stream, Array)) and not value.is_indirect:
        yield from dictionaries(value, where)


def check_objects(pdf, r):
    found = []
    for indirect in pdf.objects:
        found.extend(dictionaries(indirect, indirect.objgen))
    found.extend(dictionaries(pdf.trailer, "trailer"))
    for obj, objgen in found:
        keys = set(obj.keys())
        for key in keys & FORBIDDEN_KEYS:
            r.fail("6.1/6.5/6.6 forbidden key", f"{key} in object {objgen}")
        action = obj.get("/S")
        if isinstance(action, Name) and str(action) in FORBIDDEN_ACTIONS:
            r.fail("6.6.1 forbidden action", f"{action} in object {objgen}")
        if isinstance(obj, Stream) and "/F" in keys:
            r.fail("6.1.7 external stream", f"/F in stream {objgen}")
        filters = obj.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, Array) else [str(filters)]
        if "/LZWDecode" in names:
            r.fail("6.1.7 LZW", f"object {objgen}")
        # Transparency: soft masks, transparency groups and constant alpha below 1.
        if "/SMask" in keys and obj.get("/SMask") != Name.None_:
            r.fail("6.4 transparency", f"/SMask in object {objgen}")
        group = obj.get("/Group")
        if isinstance(group, Dictionary) and group.get("/S") == Name.Transparency \
                and "/CS" not in group:
            r.fail("6.4 transparency group without a colour space", f"object {objgen}")
        for alpha in ("/CA", "/ca"):
            if alpha in keys and float(obj.get(alpha)) < 1.0:
                r.fail("6.4 constant alpha", f"{alpha} in object {objgen}")
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        r.fail("6.6.1 JavaScript", "document-level JavaScript")


def icc_header_ok(data):
    return len(data) >= 128 and data[36:40] == b"acsp" and data[16:20] == b"RGB " \
        and data[12:16] in (b"mntr", b"prtr", b"scnr", b"spac")


def check_output_intent(pdf, r):
    intents = pdf.Root.get("/OutputIntents")
    pdfa = [i for i in (intents or []) if i.get("/S") == Name("/GTS_PDFA1")]
    if len(pdfa) != 1:
        r.fail("6.2.3 OutputIntent", f"{len(pdfa)} GTS_PDFA1 output intents, expected 1")
        return
    profile = pdfa[0].get("/DestOutputProfile")
    if not isinstance(profile, Stream):
        r.fail("6.2.3 OutputIntent", "no embedded /DestOutputProfile")
        return
    data = profile.read_bytes()
    if int(profile.get("/N", 0)) != 3 or not icc_header_ok(data):
        r.fail("6.2.3 OutputIntent", "the profile is not an RGB ICC profile with /N 3")
    if "/OutputConditionIdentifier" not in pdfa[0]:
        r.fail("6.2.3 OutputIntent", "no /OutputConditionIdentifier")


def pdf_date_to_xmp(value):
    """`D:20240212110500+01'00'` -> `2024-02-12T11:05:00+01:00`; `D:20240212` -> `2024-02-12`."""
    m = re.fullmatch(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([+-Z])?(\d{2})?'?(\d{2})?'?",
                     value)
    if not m:
        return None
    y, mo, d, h, mi, s, z, zh, zm = m.groups()
    out = y + (f"-{mo}" if mo else "") + (f"-{d}" if d else "")
    if h:
        out += f"T{h}:{mi or '00'}:{s or '00'}"
        if z == "Z":
            out += "Z"
        elif z:
            out += f"{z}{zh}:{zm or '00'}"
    return out


def check_metadata(pdf, r):
    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, Stream):
        r.fail("6.6.2 metadata", "no XMP /Metadata stream in the catalog")
        return
    if "/Filter" in meta:
        r.fail("6.6.2 metadata", "the metadata stream is filtered")
    raw = meta.read_bytes()
    try:
        root = ET.fromstring(raw.decode("utf-8"))
    except (UnicodeDecodeError, ET.ParseError) as e:
        r.fail("6.6.2 metadata", f"XMP is not well-formed UTF-8 XML: {e}")
        return
    if not raw.startswith(b"<?xpacket begin="):
        r.fail("6.6.2 metadata", "no xpacket header")

    def one(path):
        found = root.find(".//" + path, NS)
        return found.text if found is not None else None

    if one("pdfaid:part") != "2" or one("pdfaid:conformance") != "U":
        r.fail("6.6.4 PDF/A identification",
               f"part={one('pdfaid:part')} conformance={one('pdfaid:conformance')}")
    info = pdf.trailer.get("/Info") or Dictionary()
    pairs = [
        ("/Title", one("dc:title/rdf:Alt/rdf:li")),
        ("/Author", one("dc:creator/rdf:Seq/rdf:li")),
        ("/Creator", one("xmp:CreatorTool")),
        ("/Producer", one("pdf:Producer")),
    ]
    for key, xmp_value in pairs:
        info_value = text(info.get(key))
        if info_value != xmp_value:
            r.fail("6.6.3 Info and XMP agree", f"{key} {info_value!r} vs XMP {xmp_value!r}")
    for key, path in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        info_value = text(info.get(key))
        xmp_value = one(path)
        if (info_value is None) != (xmp_value is None) or \
                (info_value is not None and pdf_date_to_xmp(info_value) != xmp_value):
            r.fail("6.6.3 Info and XMP agree", f"{key} {info_value!r} vs XMP {xmp_value!r}")
    for key in ("/Title", "/Producer"):
        if not text(info.get(key)):
            r.fail("ketenpost metadata", f"no {key}")


def truetype_widths(program):
    """Advance widths (1/1000 em) per glyph id, and the glyph count, from a TrueType program."""
    num_tables = struct.unpack(">H", program[4:6])[0]
    tables = {}
    for i in range(num_tables):
        tag, _, offset, length = struct.unpack(">4sIII", program[12 + 16 * i: 28 + 16 * i])
        tables[tag] = (offset, length)
    head = tables[b"head"][0]
    units = struct.unpack(">H", program[head + 18: head + 20])[0]
    hhea = tables[b"hhea"][0]
    metrics = struct.unpack(">H", program[hhea + 34: hhea + 36])[0]
    maxp = tables[b"maxp"][0]
    glyphs = struct.unpack(">H", program[maxp + 4: maxp + 6])[0]
    hmtx = tables[b"hmtx"][0]
    advances = [struct.unpack(">H", program[hmtx + 4 * i: hmtx + 4 * i + 2])[0]
                for i in range(metrics)]
    advances += [advances[-1]] * (glyphs - metrics)
    return [a * 1000.0 / units for a in advances], glyphs


def parse_to_unicode(data):
    """CID -> text from the bfchar and bfrange sections of a ToUnicode CMap."""
    mapping = {}
    text_ = data.decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text_, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text_, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>",
                                      block):
            start = int(dst, 16)
            for k, cid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[cid] = chr(start + k)
    return mapping


def check_font(font, name, r, used_codes):
    subtype = font.get("/Subtype")
    if subtype != Name.Type0:
        r.fail("6.2.11.2 fonts", f"{name}: {subtype} font (only embedded Type0 fonts are written)")
        return
    descendant = font.DescendantFonts[0]
    descriptor = descendant.get("/FontDescriptor")
    program_stream = descriptor.get("/FontFile2") if descriptor is not None else None
    if program_stream is None:
        r.fail("6.2.11.4 font embedding", f"{name}: no /FontFile2")
        return
    if descendant.get("/Subtype") == Name.CIDFontType2 and "/CIDToGIDMap" not in descendant:
        r.fail("6.2.11.3.2 CIDToGIDMap", f"{name}: missing")
    if font.get("/Encoding") != Name("/Identity-H"):
        r.fail("6.2.11.3 encoding", f"{name}: {font.get('/Encoding')}")
    to_unicode = font.get("/ToUnicode")
    if not isinstance(to_unicode, Stream):
        r.fail("6.2.11.7.2 ToUnicode", f"{name}: missing")
        return
    cmap = parse_to_unicode(to_unicode.read_bytes())
    widths, glyphs = truetype_widths(program_stream.read_bytes())
    w = descendant.get("/W") or Array()
    declared = {}
    i = 0
    while i < len(w):
        first = int(w[i])
        if isinstance(w[i + 1], Array):
            for k, value in enumerate(w[i + 1]):
                declared[first + k] = float(value)
            i += 2
        else:
            for cid in range(first, int(w[i + 1]) + 1):
                declared[cid] = float(w[i + 2])
            i += 3
    for code in sorted(used_codes):
        if code == 0:
            r.fail("6.2.11.8 .notdef", f"{name}: text shows CID 0, the .notdef glyph")
            continue
        if code >= glyphs:
            r.fail("6.2.11.4 glyph present", f"{name}: CID {code} beyond the {glyphs} glyphs")
            continue
        unicode = cmap.get(code)
        if not unicode or any(ord(c) in (0, 0xFEFF, 0xFFFE) for c in unicode):
            r.fail("6.2.11.7.2 Unicode mapping", f"{name}: CID {code} maps to {unicode!r}")
        width = declared.get(code, float(descendant.get("/DW", 1000)))
        if abs(width - widths[code]) > 1.0:
            r.fail("6.2.11.5 widths", f"{name}: CID {code} /W {width} vs font {widths[code]:.1f}")


def check_fonts(pdf, r):
    for number, page in enumerate(pdf.pages, 1):
        fonts = page.Resources.get("/Font") or Dictionary()
        used = {str(key): set() for key in fonts.keys()}
        current = None
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "Tf":
                current = str(operands[0])
            elif op in ("Tj", "'", '"', "TJ"):
                strings = operands[0] if op == "TJ" else [operands[-1]]
                for s in strings:
                    if isinstance(s, pikepdf.String):
                        data = bytes(s)
                        codes = {int.from_bytes(data[k:k + 2], "big")
                                 for k in range(0, len(data), 2)}
                        used.setdefault(current, set()).update(codes)
        for key in fonts.keys():
            check_font(fonts[key], f"page {number} font {key}", r, used.get(str(key), set()))
        if "/MediaBox" not in page.obj and "/MediaBox" not in page.obj.get("/Parent", {}):
            r.fail("page boxes", f"page {number} has no /MediaBox")


def check_tools(path, r):
    qpdf = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
    if qpdf.returncode != 0 or "No syntax or stream encoding errors" not in qpdf.stdout:
        r.fail("qpdf --check", (qpdf.stdout + qpdf.stderr).strip().replace("\n", " | "))
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True)
    if fonts.returncode != 0:
        r.fail("pdffonts", fonts.stderr.strip())
        return
    rows = fonts.stdout.splitlines()[2:]
    if not rows:
        r.fail("pdffonts", "no fonts")
    for row in rows:
        # name type encoding emb sub uni object ID
        parts = row.split()
        emb, sub, uni = parts[-5], parts[-4], parts[-3]
        if (emb, sub, uni) != ("yes", "yes", "yes"):
            r.fail("pdffonts emb/sub/uni", row)


def check(path):
    r = Report(path)
    try:
        with pikepdf.open(path) as pdf:
            check_structure(pdf, r)
            check_objects(pdf, r)
            check_output_intent(pdf, r)
            check_metadata(pdf, r)
            check_fonts(pdf, r)
    except pikepdf.PdfError as e:
        r.fail("readable", str(e))
    check_tools(path, r)
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"%PDF-1.") or not re.match(rb"%PDF-1\.\d\r?\n%[\x80-\xff]{4}", data):
        r.fail("6.1.2 header", "no binary comment with four bytes above 127 after the header")
    if not re.search(rb"%%EOF(\r\n|\r|\n)?$", data):
        r.fail("6.1.3 end of file", "data after %%EOF")
    return r.problems


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    for path in paths:
        problems.extend(check(path))
    for line in problems:
        print(line)
    print(f"{len(paths)} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
