"""Long-running operation tokens from and to the reference, Python azure-core 1.41.0.

clientcore's continuation tokens must be what azure-core writes and reads. The Rust tests in
crates/clientcore/tests/lro_python.rs run this script with the interpreter of a venv holding
the pinned azure-core==1.41.0 and azure-mgmt-core==1.6.0 (.ci/run makes it) to get tokens the
real library wrote and to hand it tokens clientcore wrote:

  lro_interop.py fixture
      Prints the token azure-core writes for a fixed initial exchange, answered in process by a
      canned requests adapter (no network). It is committed as
      crates/clientcore-proto/tests/fixtures/python-lro-token.txt, which the proto tests compare
      clientcore's token with; the Rust test regenerates it here and checks it is unchanged.

  lro_interop.py begin URL
      Sends the PUT that starts an operation to URL (a local test server) with a PipelineClient,
      wraps the response in an LROPoller with LROBasePolling, and prints the poller's
      continuation token without polling.

  lro_interop.py resume BASE_URL TOKEN_FILE (base|arm)
      Resumes the operation of the token in TOKEN_FILE with LROPoller.from_continuation_token
      and LROBasePolling or ARMPolling (no wait between polls), waits at most 20 s, and prints
      {"status": ..., "result": <the final body as JSON>}.

Only 127.0.0.1 is contacted; proxies from the environment are ignored.
"""

import io
import json
import sys

import requests
from azure.core import PipelineClient
from azure.core.pipeline.transport import RequestsTransport
from azure.core.polling import LROPoller
from azure.core.polling.base_polling import LROBasePolling
from azure.core.rest import HttpRequest
from azure.mgmt.core.polling.arm_polling import ARMPolling

# The fixed exchange of `fixture`. crates/clientcore-proto/tests/lro_tokens.rs builds the same.
FIXTURE_URL = (
    "https://management.example.com/subscriptions/0000/resourceGroups/rg/providers/"
    "Microsoft.Test/things/t1?api-version=2024-01-01"
)
FIXTURE_REQUEST_ID = "5f0c1e1a-3b6f-4e0b-9a59-2d1c43e1c0de"
FIXTURE_STATUS = 201
# Lowercase names, as HTTP/2 and most servers send them; Set-Cookie and x-ms-request-id are
# there to show the token keeps only what resuming needs.
FIXTURE_HEADERS = [
    ("content-type", "application/json; charset=utf-8"),
    ("x-ms-request-id", "abc"),
    ("set-cookie", "session=secret"),
    (
        "azure-asyncoperation",
        "https://management.example.com/subscriptions/0000/providers/Microsoft.Test/"
        "locations/westus/operations/op1?api-version=2024-01-01",
    ),
    ("retry-after", "0"),
]
FIXTURE_BODY = (
    '{"name": "t1", "properties": {"provisioningState": "Accepted", '
    '"note": "caf\u00e9 \u2615 \U0001d11e \\"quoted\\"\\n"}, "size": 3}'
).encode("utf-8")


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers every request with the fixture's response, as a server would have."""

    def send(self, request, **kwargs):  # pylint: disable=unused-argument
        response = requests.Response()
        response.status_code = FIXTURE_STATUS
        response.reason = "Created"
        response.headers = requests.structures.CaseInsensitiveDict(FIXTURE_HEADERS)
        response.raw = io.BytesIO(FIXTURE_BODY)
        response._content = FIXTURE_BODY  # pylint: disable=protected-access
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def local_session():
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: 127.0.0.1 only
    return session


def deserialize(pipeline_response):
    text = pipeline_response.http_response.text()
    return json.loads(text) if text.strip() else None


def fixture():
    session = local_session()
    session.mount("https://", CannedAdapter())
    client = PipelineClient("https://management.example.com", transport=RequestsTransport(session=session))
    request = HttpRequest("PUT", FIXTURE_URL, json={"location": "westus"})
    initial = client.send_request(request, _return_pipeline_response=True, request_id=FIXTURE_REQUEST_ID)
    poller = LROPoller(client, initial, deserialize, LROBasePolling(timeout=3600))
    print(poller.continuation_token())


def begin(url):
    client = PipelineClient(url, transport=RequestsTransport(session=local_session()))
    request = HttpRequest("PUT", url, json={"location": "westus"})
    initial = client.send_request(request, _return_pipeline_response=True)
    # Polling waits an hour first: the token is printed long before, and the thread is a daemon.
    poller = LROPoller(client, initial, deserialize, LROBasePolling(timeout=3600))
    print(poller.continuation_token())


def resume(base_url, token_file, kind):
    with open(token_file, encoding="ascii") as f:
        token = f.read().strip()
    client = PipelineClient(base_url, transport=RequestsTransport(session=local_session()))
    method = ARMPolling(timeout=0) if kind == "arm" else LROBasePolling(timeout=0)
    poller = LROPoller.from_continuation_token(
        polling_method=method,
        continuation_token=token,
        client=client,
        deserialization_callback=deserialize,
    )
    result = poller.result(timeout=20)
    if not poller.done():
        sys.exit("the resumed poller did not finish within 20 s")
    print(json.dumps({"status": poller.status(), "result": result}))


def main(argv):
    if argv[1:] == ["fixture"]:
        fixture()
    elif len(argv) == 3 and argv[1] == "begin":
        begin(argv[2])
    elif len(argv) == 5 and argv[1] == "resume" and argv[4] in ("base", "arm"):
        resume(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
