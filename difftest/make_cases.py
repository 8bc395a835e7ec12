#!/usr/bin/env python3
"""Writes difftest/cases.json, the cases of the differential suite.

Each case is one HTTP response (status, reason, headers, body as hex) and how the call reads
it: the error format of the operation, whether it carried a match condition, and a forced
response encoding. Responses with status 200 are read as text and JSON; the others are errors.
Edit the cases here, then run this script; cases.json is what CI reads (difftest/run checks
that it is what this script writes). With an argument, writes there instead.
"""

import json
import os
import sys

CASES = []
JSON = "application/json"
JSON_UTF8 = "application/json; charset=utf-8"


def case(name, status, body=b"", fmt="Auto", ctype=JSON, reason=None, conditional=False,
         encoding=None, headers=None):
    """`body` is bytes, text (sent as UTF-8), or a list of (bytes or text, times) parts, so
    that huge bodies stay small in cases.json."""
    parts = body if isinstance(body, list) else [(body, 1)]
    parts = [[(p.encode("utf-8") if isinstance(p, str) else p).hex(), n] for p, n in parts]
    h = dict(headers or {})
    if ctype:
        h["Content-Type"] = ctype
    c = {"name": name, "status": status, "format": fmt, "headers": h, "body": parts}
    if reason is not None:
        c["reason"] = reason
    if conditional:
        c["conditional"] = True
    if encoding is not None:
        c["encoding"] = encoding
    CASES.append(c)


def utf16be(s):
    return b"\xfe\xff" + s.encode("utf-16-be")


def utf16le(s):
    return b"\xff\xfe" + s.encode("utf-16-le")


# ===== OData v4 =====
O = "ODataV4"
case("odata-basic", 400, '{"error": {"code": "BadArgument", "message": "The argument is bad."}}', O)
case("odata-target", 400, '{"error": {"code": "C", "message": "M", "target": "name"}}', O)
case("odata-details-nested", 400, json.dumps({"error": {"code": "Outer", "message": "outer msg", "target": "tgt",
     "details": [{"code": "D1", "message": "d1 msg", "target": "d1t", "details": [{"code": "DD", "message": "dd msg"}]},
                 {"code": "D2", "message": "d2 msg"}],
     "innererror": {"code": "Inner", "innererror": {"code": "Inner2"}}}}), O)
case("odata-innererror", 400, '{"error": {"code": "C", "message": "M", "innererror": {"trace": "abc", "n": [1, 2]}}}', O)
case("odata-innererror-non-ascii", 400, '{"error": {"code": "C", "message": "M", "innererror": {"note": "caf\u00e9"}}}', O)
case("odata-innererror-string", 400, '{"error": {"code": "C", "message": "M", "innererror": "just a string"}}', O)
case("odata-innererror-empty", 400, '{"error": {"code": "C", "message": "M", "innererror": {}}}', O)
case("odata-only-code", 400, '{"error": {"code": "OnlyCode"}}', O)
case("odata-only-message", 400, '{"error": {"message": "Only a message"}}', O)
case("odata-numeric-code-unwrapped", 400, '{"code": 400, "message": "Numeric code"}', O)
case("odata-unwrapped", 400, '{"code": "C", "message": "M"}', O)
case("odata-error-wins", 400, '{"code": "Top", "message": "top", "error": {"code": "Inner", "message": "inner"}}', O)
case("odata-error-null", 400, '{"error": null}', O)
case("odata-error-string", 400, '{"error": "invalid_grant"}', O)
case("odata-empty-code-message", 400, '{"error": {"code": "", "message": ""}}', O)
case("odata-zero-code", 400, '{"error": {"code": 0, "message": "M"}}', O)
case("odata-message-newline", 400, '{"error": {"code": "C", "message": "M\\nline2"}}', O)
case("odata-details-object", 400, '{"error": {"code": "C", "message": "M", "details": {"a": 1}}}', O)
case("odata-detail-skipped", 400, '{"error": {"code": "C", "message": "M", "details": [{"target": "x"}, 5]}}', O)
case("odata-empty-target", 400, '{"error": {"code": "C", "message": "M", "target": ""}}', O)
case("odata-list-body", 400, '[{"code": "C", "message": "M"}]', O)
case("odata-string-body", 400, '"an error happened"', O)
case("odata-global-error", 400, '{"code": 400, "error": {"global": ["MY-ERROR-MESSAGE-THAT-IS-COMING-FROM-THE-API"]}}', O,
     reason="BAD REQUEST")
case("odata-utf8-bom", 400, b'\xef\xbb\xbf{"error": {"code": "C", "message": "M"}}', O, ctype="application/json; charset=utf-8")
case("odata-utf8-bom-uppercase-label", 400, b'\xef\xbb\xbf{"error": {"code": "C", "message": "M"}}', O,
     ctype="application/json; charset=UTF-8")
case("odata-latin1-declared", 400, '{"error": {"code": "C", "message": "caf\u00e9 \u0080"}}'.encode("latin-1"), O,
     ctype="application/json; charset=latin-1")
case("odata-utf16be-bom", 400, utf16be('{"error": {"code": "B\u00e9", "message": "M"}}'), O,
     ctype="application/json; charset=utf-16")
case("odata-utf16le-bom", 400, utf16le('{"error": {"code": "C", "message": "M"}}'), O,
     ctype="application/json; charset=utf-16")
case("odata-utf16-no-bom", 400, '{"error": {"code": "C", "message": "M"}}'.encode("utf-16-le"), O,
     ctype="application/json; charset=utf-16")
case("odata-401", 401, '{"error": {"code": "InvalidAuthenticationToken", "message": "The token is expired."}}', O)
case("odata-404", 404, '{"error": {"code": "ResourceNotFound", "message": "Not there."}}', O)
case("odata-409", 409, '{"error": {"code": "Conflict", "message": "Already there."}}', O)
case("odata-500", 500, '{"error": {"code": "InternalError", "message": "Oops."}}', O)

# ===== ARM =====
A = "Arm"
case("arm-additional-info", 400, json.dumps({"error": {"code": "InvalidLocation", "message": "The location is bad.",
     "target": "location", "additionalInfo": [{"type": "PolicyViolation", "info": {"policyEffect": "deny"}},
                                              {"type": "T2", "info": {}}]}}), A)
case("arm-additional-info-one", 400, '{"error": {"code": "C", "message": "M", "additionalInfo": [{"type": "T", "info": {"a": 1}}]}}', A)
case("arm-additional-info-malformed", 400, '{"error": {"code": "C", "message": "M", "additionalInfo": [{"type": "T"}]}}', A)
case("arm-additional-info-null", 400, '{"error": {"code": "C", "message": "M", "additionalInfo": null}}', A)
case("arm-additional-info-object", 400, '{"error": {"code": "C", "message": "M", "additionalInfo": {"type": "T", "info": {"a": 1}}}}', A)
case("arm-details-additional-info", 400, json.dumps({"error": {"code": "C", "message": "M",
     "additionalInfo": [{"type": "T1", "info": {"a": 1}}],
     "details": [{"code": "DC", "message": "DM", "additionalInfo": [{"type": "DT", "info": {"x": [1, 2]}}]}]}}), A)
case("arm-plain", 400, '{"error": {"code": "C", "message": "M", "target": "t"}}', A)
case("arm-404-with-additional-info", 404, '{"error": {"code": "ResourceGroupNotFound", "message": "Not there.", "additionalInfo": [{"type": "T", "info": 1}]}}', A)
case("arm-409", 409, '{"error": {"code": "Conflict", "message": "Busy."}}', A)
case("arm-innererror-and-info", 400, '{"error": {"code": "C", "message": "M", "innererror": {"k": "v"}, "additionalInfo": [{"type": "T", "info": "s"}]}}', A)
case("arm-info-non-ascii", 400, '{"error": {"code": "C", "message": "M", "additionalInfo": [{"type": "T", "info": {"\u00e9": "\u00fc"}}]}}', A)
case("arm-not-json", 502, "<html><body>Bad Gateway</body></html>", A, ctype="text/html")

# ===== JSON:API / Azion lists =====
L = "ErrorList"
case("list-jsonapi", 422, json.dumps({"errors": [{"status": "422", "code": "invalid", "title": "Invalid Attribute",
     "detail": "First name must contain at least three characters.", "source": {"pointer": "/data/attributes/firstName"}}]}), L)
case("list-detail-string", 404, '{"detail": "Not found."}', L)
case("list-detail-list", 400, '{"detail": ["Invalid foo"]}', L)
case("list-field-map", 400, '{"name": ["This field is required."]}', L)
case("list-field-map-with-code", 400, '{"name": ["This field is required."], "code": 1234}', L)
case("list-errors-string-and-detail", 400, '{"errors": "Invalid request", "detail": ["first", "second"]}', L)
case("list-detail-object", 400, '{"detail": {"name": ["required"], "age": ["too low"]}}', L)
case("list-empty", 400, '{"errors": []}', L)
case("list-not-json", 400, "Bad things", L, ctype="text/plain")

# ===== RFC 9457 =====
P = "Problem"
PJ = "application/problem+json"
case("problem-full", 403, json.dumps({"type": "https://example.com/probs/out-of-credit", "title": "You do not have enough credit.",
     "status": 403, "detail": "Your current balance is 30, but that costs 50.", "instance": "/account/12345/msgs/abc"}), P, ctype=PJ)
case("problem-extensions", 400, '{"title": "Invalid", "status": 400, "balance": 30, "accounts": ["a", "b"]}', P, ctype=PJ)
case("problem-code", 400, '{"title": "Invalid", "code": "E42"}', P, ctype=PJ)
case("problem-status-text", 400, '{"title": "T", "status": "400"}', P, ctype=PJ)
case("problem-auto", 404, '{"type": "about:blank", "title": "Not Found", "status": 404}', "Auto", ctype=PJ)

# ===== Azure Storage XML =====
S = "StorageXml"
X = "application/xml"
case("storage-blob-not-found", 404, '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.\nRequestId:1\nTime:2026-01-01T00:00:00.000Z</Message></Error>', S, ctype=X,
     reason="The specified blob does not exist.")
case("storage-auth-detail", 403, '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>Signature did not match.</AuthenticationErrorDetail></Error>', S, ctype=X)
case("storage-412-lease-unconditional", 412, '<?xml version="1.0" encoding="utf-8"?><Error><Code>LeaseIdMissing</Code><Message>There is currently a lease on the blob.</Message></Error>', S, ctype=X)
case("storage-412-conditional", 412, '<?xml version="1.0" encoding="utf-8"?><Error><Code>ConditionNotMet</Code><Message>The condition specified using HTTP conditional header(s) is not met.</Message></Error>', S, ctype=X,
     conditional=True)
case("storage-409", 409, '<?xml version="1.0" encoding="utf-8"?><Error><Code>ContainerAlreadyExists</Code><Message>The specified container already exists.</Message></Error>', S, ctype=X)
case("storage-malformed", 400, "<Error><Code>Broken", S, ctype=X)
case("storage-bom", 400, b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>C</Code><Message>M</Message></Error>', S,
     ctype="application/xml; charset=utf-8")
case("storage-auto", 404, '<?xml version="1.0" encoding="utf-8"?><Error><Code>QueueNotFound</Code><Message>The specified queue does not exist.</Message></Error>', "Auto", ctype=X)
case("storage-304-unconditional", 304, b"", S, ctype=X, headers={"x-ms-error-code": "ConditionNotMet"})
case("storage-304-conditional", 304, b"", S, ctype=X, conditional=True)

# ===== Azure Tables (OData v3) =====
T = "ODataV3"
case("tables-not-found", 404, '{"odata.error": {"code": "TableNotFound", "message": {"lang": "en-US", "value": "The table specified does not exist.\\nRequestId:1"}}}', T,
     ctype="application/json;odata=minimalmetadata;streaming=true;charset=utf-8")
case("tables-exists", 409, '{"odata.error": {"code": "EntityAlreadyExists", "message": {"lang": "en-US", "value": "The specified entity already exists."}}}', T)
case("tables-message-string", 400, '{"odata.error": {"code": "C", "message": "M"}}', T)
case("tables-no-code", 400, '{"odata.error": {"message": {"value": "only a message"}}}', T)
case("tables-xml-415", 415, '<?xml version="1.0" encoding="utf-8"?><error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><code>InvalidInput</code><message xml:lang="en-US">One of the request inputs is not valid.</message></error>', T, ctype=X)
case("tables-xml-403", 403, '<?xml version="1.0" encoding="utf-8"?><error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><code>AuthorizationFailure</code><message xml:lang="en-US">This request is not authorized.</message></error>', T, ctype=X)

# ===== OAuth =====
case("oauth-invalid-grant", 400, '{"error": "invalid_grant", "error_description": "AADSTS70008: The refresh token has expired."}', "OAuth")
case("oauth-uri", 401, '{"error": "invalid_client", "error_description": "bad", "error_uri": "https://example.com/e"}', "OAuth")
case("oauth-auto", 400, '{"error": "invalid_grant", "error_description": "expired"}', "Auto")

# ===== Auto and bodies in no format =====
case("auto-error-string", 500, '{"error": "internal server error"}')
case("auto-odata", 400, '{"error": {"code": "C", "message": "M"}}')
case("auto-html", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", ctype="text/html")
case("auto-json-labelled-html", 400, '{"error": {"code": "C", "message": "M"}}', ctype="text/html")
case("auto-plain-text", 400, "I am throwing an error", ctype="text/plain", reason="BAD REQUEST")
case("auto-empty", 400, b"")
case("auto-empty-reason", 400, b"", reason="")
case("auto-garbage-bytes", 400, bytes(range(256)), ctype=None)
case("auto-long-text", 500, "x" * 3000, ctype="text/plain")
case("auto-long-non-ascii", 500, "\u00e9" * 3000, ctype="text/plain")
case("auto-custom-reason", 404, "gone", ctype="text/plain", reason="The specified blob does not exist.")
case("auto-401", 401, "Unauthorized", ctype="text/plain")
case("auto-404", 404, b"")
case("auto-409-odata", 409, '{"error": {"code": "Conflict", "message": "Busy"}}')

# ===== Non-UTF-8 error bodies =====
case("bytes-latin1-undeclared", 400, '{"error": {"code": "C", "message": "caf\u00e9"}}'.encode("latin-1"), O)
case("bytes-utf8-declared-invalid", 400, b'{"error": {"code": "C", "message": "caf\xe9"}}', O, ctype=JSON_UTF8)
case("bytes-text-utf8-declared-invalid", 400, b"caf\xe9", ctype="text/plain; charset=utf-8")
case("bytes-cp1252-undefined", 400, b"x\x81y", ctype="text/plain; charset=windows-1252")
case("bytes-cp1252", 400, b"price \x80 5", ctype="text/plain; charset=cp1252")
case("bytes-ascii-high", 400, b"caf\xe9", ctype="text/plain; charset=us-ascii")
case("bytes-unknown-charset", 400, b"caf\xc3\xa9 \xff", ctype="text/plain; charset=klingon")
case("bytes-latin1-text", 400, b"caf\xe9 \x80\x9f", ctype="text/plain; charset=iso-8859-1")

# ===== Huge =====
detail = '{"code": "D", "message": "one of very many details"},'
case("huge-odata-1mb", 400, [('{"error": {"code": "TooMany", "message": "There were too many.", "details": [', 1),
                              (detail, 24000), ('{"code": "D", "message": "last"}]}}', 1)], O)
case("huge-odata-padded", 400, [('{"error": {"code": "Padded", "message": "M"}}', 1), (" ", 3 << 20)], O)
case("huge-text", 500, [("y", 2 << 20)], ctype="text/plain")
case("huge-non-ascii", 500, [("\u00e9", 1 << 20)], ctype="text/plain; charset=utf-8")

# ===== Text of successful responses =====
def text(name, body, ctype=JSON, encoding=None):
    case(name, 200, body, ctype=ctype, encoding=encoding)

text("text-utf8", '{"v": "caf\u00e9"}', ctype=JSON_UTF8)
text("text-undeclared-bom", b'\xef\xbb\xbf{"v": 1}')
text("text-declared-bom", b'\xef\xbb\xbf{"v": 1}', ctype=JSON_UTF8)
text("text-declared-bom-uppercase", b'\xef\xbb\xbf{"v": 1}', ctype="application/json; charset=UTF-8")
for label in ["latin-1", "latin1", "iso-8859-1", "ISO_8859-1", "l1"]:
    text("text-label-" + label, b'{"v": "caf\xe9 \x80"}', ctype="application/json; charset=" + label)
text("text-utf16-be-bom", utf16be('{"name": "Zo\u00eb"}'), ctype="application/json; charset=utf-16")
text("text-utf16-le-bom", utf16le('{"name": "Zo\u00eb"}'), ctype="application/json; charset=utf-16")
text("text-utf16-no-bom", '{"a": 1}'.encode("utf-16-le"), ctype="application/json; charset=utf-16")
text("text-utf16be-label-bom", utf16be('{"a": 1}'), ctype="application/json; charset=utf-16-be")
text("text-utf32-bom", '{"a": 1}'.encode("utf-32"), ctype="application/json; charset=utf-32")
text("text-windows-1252", b'"\x80"', ctype="application/json; charset=windows-1252")
text("text-cp1252-undefined", b'"\x81"', ctype="application/json; charset=cp1252")
text("text-ascii-high", b'"\xe9"', ctype="application/json; charset=ascii")
text("text-unknown-charset", b'"caf\xc3\xa9"', ctype="application/json; charset=klingon")
text("text-quoted-charset", '"caf\u00e9"'.encode("latin-1"), ctype='application/json; charset="latin-1"')
text("text-shift-jis", '"\u65e5\u672c"'.encode("shift_jis"), ctype="application/json; charset=shift_jis")
text("text-koi8-r", '"\u043f\u0440\u0438\u0432\u0435\u0442"'.encode("koi8_r"), ctype="application/json; charset=koi8-r")
text("text-undeclared-invalid", b'"caf\xe9"')
text("text-declared-invalid", b'"caf\xe9"', ctype=JSON_UTF8)
text("text-empty", b"")
text("text-not-json", "plain words", ctype="text/plain")
text("forced-latin1-over-utf8", b'"caf\xe9"', ctype=JSON_UTF8, encoding="latin-1")
text("forced-iso-8859-1", b'"\x80"', encoding="iso-8859-1")
text("forced-utf8-bom", b'\xef\xbb\xbf[2]', encoding="utf-8")
text("forced-utf8-uppercase-bom", b'\xef\xbb\xbf[2]', encoding="UTF-8")
text("forced-utf16-be-bom", utf16be("[1]"), encoding="utf-16")
text("forced-utf16-le-bom", utf16le("[1]"), encoding="utf-16")
text("forced-ascii", b'"ok"', encoding="ascii")
text("forced-unknown", b"[1]", encoding="klingon-8")
text("forced-windows-1252", b'"\x80"', ctype=JSON_UTF8, encoding="windows-1252")

if __name__ == "__main__":
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")
    out = sys.argv[1] if len(sys.argv) > 1 else here
    with open(out, "w") as f:
        json.dump(CASES, f, indent=1)
        f.write("\n")
    print(f"{len(CASES)} cases written to {out}")
