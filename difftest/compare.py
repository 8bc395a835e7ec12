#!/usr/bin/env python3
"""The Python half of the differential suite: runs the reference (azure-core 1.41.0,
azure-mgmt-core 1.6.0) on every case of cases.json and compares, field by field, with what
clientcore gave (the JSON lines of `cargo run -p clientcore --example difftest`).

    compare.py cases.json clientcore.jsonl allow.json

Every difference must be listed in allow.json (case-name patterns, the fields that differ, and
why); the run fails on any other. The response goes through azure-core's own
`RestRequestsTransportResponse` over a `requests.Response`, so `text()`, `json()` and
`encoding` are the reference's code; errors are built as generated operations build them.
"""

import fnmatch
import http
import json
import sys

import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ODataV4Format,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from azure.mgmt.core.exceptions import ARMErrorFormat

# Reference class -> clientcore ErrorKind.
KINDS = {
    "HttpResponseError": "HttpResponse",
    "ClientAuthenticationError": "ClientAuthentication",
    "ResourceNotFoundError": "ResourceNotFound",
    "ResourceExistsError": "ResourceExists",
    "ResourceModifiedError": "ResourceModified",
    "ResourceNotModifiedError": "ResourceNotModified",
}


def response(case):
    body = b"".join(bytes.fromhex(part) * times for part, times in case["body"])
    r = requests.Response()
    r.status_code = case["status"]
    r.reason = case.get("reason", http.HTTPStatus(case["status"]).phrase)
    r.headers = requests.structures.CaseInsensitiveDict(case["headers"])
    r._content = body
    r._content_consumed = True
    r.url = "http://127.0.0.1/case"
    rest = RestRequestsTransportResponse(
        request=HttpRequest("GET", r.url), internal_response=r
    )
    rest.read()
    return rest


def reference(case):
    resp = response(case)
    if case["status"] == 200:
        if "encoding" in case:
            resp.encoding = case["encoding"]
        out = {"outcome": "response", "status": 200, "encoding": resp.encoding}
        try:
            out["text"], out["text_error"] = resp.text(), False
        except Exception:  # UnicodeDecodeError, LookupError
            out["text"], out["text_error"] = None, True
        try:
            out["json"], out["json_ok"] = resp.json(), True
        except Exception:
            out["json"], out["json_ok"] = None, False
        return out
    # As a generated operation: map_error first (always with the default ODataV4Format),
    # then HttpResponseError in the operation's format.
    error_map = {
        401: ClientAuthenticationError,
        404: ResourceNotFoundError,
        409: ResourceExistsError,
        304: ResourceNotModifiedError,
    }
    if case.get("conditional"):
        error_map[412] = ResourceModifiedError
    fmt = ARMErrorFormat if case["format"] == "Arm" else ODataV4Format
    try:
        map_error(status_code=case["status"], response=resp, error_map=error_map)
        err = HttpResponseError(response=resp, error_format=fmt)
    except HttpResponseError as mapped:
        err = mapped
    try:
        text = resp.text()
    except Exception:
        text = None
    code = getattr(err.error, "code", None) if err.error else None
    return {
        "outcome": "error",
        "kind": KINDS[type(err).__name__],
        "status": err.status_code,
        "code": None if code is None else str(code),
        "message": err.message,
        "display": str(err),
        "text": text,
        "encoding": resp.encoding,
    }


def short(value, limit=160):
    s = json.dumps(value, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} chars)"


def main():
    cases_path, rust_path, allow_path = sys.argv[1:4]
    with open(cases_path) as f:
        cases = json.load(f)
    with open(rust_path) as f:
        ours = {line["name"]: line for line in map(json.loads, f) if line}
    with open(allow_path) as f:
        allow = json.load(f)
    used = [False] * len(allow)
    unexpected, allowed, compared = [], 0, 0
    for case in cases:
        name = case["name"]
        ref = reference(case)
        got = ours.get(name)
        if got is None:
            unexpected.append(f"{name}: clientcore printed no result")
            continue
        for field, want in ref.items():
            compared += 1
            if got.get(field) == want:
                continue
            listed = [
                i for i, entry in enumerate(allow)
                if field in entry["fields"]
                and any(fnmatch.fnmatchcase(name, p) for p in entry["cases"])
            ]
            if listed:
                allowed += 1
                for i in listed:
                    used[i] = True
            else:
                unexpected.append(
                    f"{name}.{field}:\n    reference:  {short(want)}\n    clientcore: {short(got.get(field))}"
                )
    for i, entry in enumerate(allow):
        if not used[i]:
            print(f"note: allow-list entry {entry['cases']} {entry['fields']} matched no difference")
    print(
        f"{len(cases)} cases, {compared} fields compared: {compared - allowed - len(unexpected)} equal, "
        f"{allowed} listed differences, {len(unexpected)} unlisted"
    )
    if unexpected:
        print("\nDifferences not in allow.json (fix them, or list them with their reason):")
        for u in unexpected:
            print("- " + u)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
