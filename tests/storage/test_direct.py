"""The short way for DynamoDB's item calls (``parley.storage.direct``) answers as botocore does, on
DynamoDB Local: the same items, binary values and errors; and it leaves to botocore what it should
(retryable failures, instrumented botocore, other operations), never reaching AWS under moto."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator

import boto3
import pytest
import wrapt
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from parley.local import servers
from parley.storage import direct
from parley.storage.direct import DirectClient

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]


def _botocore(endpoint: str, **config) -> BaseClient:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=servers.ACCESS_KEY, aws_secret_access_key=servers.SECRET_KEY,
                        config=Config(**config))


class Counted:
    """Counts the calls that went through botocore's own chain (its first event, which the short way
    does not emit), and every call (before-call, which both emit)."""

    def __init__(self, client: BaseClient) -> None:
        self.calls: list[str] = []
        self.seen: list[str] = []
        client.meta.events.register("provide-client-params.dynamodb.*",
                                    lambda event_name, **_: self.calls.append(event_name.rsplit(".", 1)[1]))
        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: self.seen.append(model.name))


@pytest.fixture(scope="module")
def table(local_endpoints) -> Iterator[tuple[str, str]]:
    endpoint = local_endpoints["dynamodb_endpoint"]
    name = f"direct-{uuid.uuid4().hex[:8]}"
    client = _botocore(endpoint)
    client.create_table(TableName=name, KeySchema=KEY, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST")
    yield endpoint, name
    client.delete_table(TableName=name)


def _pair(endpoint: str) -> tuple[DirectClient, BaseClient, Counted]:
    inner = _botocore(endpoint)
    return DirectClient(inner), _botocore(endpoint), Counted(inner)


def _both_refuse(fast: DirectClient, slow: BaseClient, operation: str, params: dict) -> tuple[ClientError, ClientError]:
    """The errors the short way and botocore raise for the same call."""
    with pytest.raises(ClientError) as fast_error:
        fast._make_api_call(operation, dict(params))
    with pytest.raises(ClientError) as slow_error:
        slow._make_api_call(operation, dict(params))
    return fast_error.value, slow_error.value


def _strip(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_item_calls_answer_as_botocore_does_without_its_chain(table: tuple[str, str]) -> None:
    endpoint, name = table
    fast, slow, counted = _pair(endpoint)
    pk = {"S": f"u-{uuid.uuid4().hex[:6]}"}
    for i in range(3):
        fast._make_api_call("PutItem", {"TableName": name, "Item": {
            "pk": pk, "sk": {"S": f"m{i}"}, "text": {"S": "héllo \"quoted\" B"}, "n": {"N": str(i)},
            "l": {"L": [{"S": "x"}, {"M": {"B": {"S": "a map key named B"}}}]}}})
    update = {"TableName": name, "Key": {"pk": pk, "sk": {"S": "m1"}}, "UpdateExpression": "ADD #n :one",
              "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":one": {"N": "1"}},
              "ReturnValues": "ALL_NEW"}
    assert fast._make_api_call("UpdateItem", update)["Attributes"]["n"] == {"N": "2"}
    query = {"TableName": name, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": pk},
             "ScanIndexForward": False}
    assert _strip(fast._make_api_call("Query", query)) == _strip(slow.query(**query))
    get = {"TableName": name, "Key": {"pk": pk, "sk": {"S": "m2"}}, "ConsistentRead": True}
    assert _strip(fast._make_api_call("GetItem", get)) == _strip(slow.get_item(**get))
    assert counted.calls == []  # none of it went through botocore's chain
    assert counted.seen == ["PutItem"] * 3 + ["UpdateItem", "Query", "GetItem"]  # yet observers saw it all


def test_binary_values_go_out_and_come_back_as_bytes(table: tuple[str, str]) -> None:
    endpoint, name = table
    fast, slow, _ = _pair(endpoint)
    key = {"pk": {"S": f"b-{uuid.uuid4().hex[:6]}"}, "sk": {"S": "bin"}}
    fast._make_api_call("PutItem", {"TableName": name, "Item": {**key, "blob": {"B": b"\x00\xffraw"},
                                                               "set": {"BS": [b"a", b"\x01"]}}})
    got = fast._make_api_call("GetItem", {"TableName": name, "Key": key})
    assert got["Item"]["blob"] == {"B": b"\x00\xffraw"} and sorted(got["Item"]["set"]["BS"]) == [b"\x01", b"a"]
    assert _strip(got) == _strip(slow.get_item(TableName=name, Key=key))


def test_a_failed_condition_raises_botocores_modelled_error_with_the_old_item(table: tuple[str, str]) -> None:
    endpoint, name = table
    fast, slow, counted = _pair(endpoint)
    key = {"pk": {"S": f"c-{uuid.uuid4().hex[:6]}"}, "sk": {"S": "x"}}
    fast._make_api_call("PutItem", {"TableName": name, "Item": {**key, "v": {"N": "1"}}})
    call = {"TableName": name, "Key": key, "UpdateExpression": "SET v = :two",
            "ConditionExpression": "v = :zero", "ExpressionAttributeValues": {":two": {"N": "2"}, ":zero": {"N": "0"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    fast_error, slow_error = _both_refuse(fast, slow, "UpdateItem", call)
    assert isinstance(fast_error, slow.exceptions.ConditionalCheckFailedException)
    assert fast_error.response["Error"] == slow_error.response["Error"]
    assert fast_error.response["Item"] == slow_error.response["Item"] == {**key, "v": {"N": "1"}}
    assert "x-amzn-requestid" in fast_error.response["ResponseMetadata"]["HTTPHeaders"]
    assert counted.calls == []


def test_a_cancelled_transaction_carries_its_reasons(table: tuple[str, str]) -> None:
    endpoint, name = table
    fast, slow, _ = _pair(endpoint)
    key = {"pk": {"S": f"t-{uuid.uuid4().hex[:6]}"}, "sk": {"S": "x"}}
    fast._make_api_call("PutItem", {"TableName": name, "Item": key})
    items = {"TransactItems": [
        {"Put": {"TableName": name, "Item": {**key, "sk": {"S": "new"}}}},
        {"ConditionCheck": {"TableName": name, "Key": key, "ConditionExpression": "attribute_not_exists(pk)"}},
    ]}
    fast_error, slow_error = _both_refuse(fast, slow, "TransactWriteItems", items)
    assert isinstance(fast_error, slow.exceptions.TransactionCanceledException)
    assert fast_error.response["CancellationReasons"] == slow_error.response["CancellationReasons"]
    assert [r["Code"] for r in fast_error.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]


def test_other_operations_and_instrumented_botocore_take_botocores_way(table: tuple[str, str], monkeypatch) -> None:
    endpoint, name = table
    fast, _, counted = _pair(endpoint)
    fast._make_api_call("DescribeTable", {"TableName": name})
    assert counted.calls == ["DescribeTable"]

    def traced(wrapped, instance, args, kwargs):
        return wrapped(*args, **kwargs)

    # As X-Ray and OpenTelemetry patch it: a wrapt wrapper around BaseClient._make_api_call.
    monkeypatch.setattr(BaseClient, "_make_api_call", wrapt.FunctionWrapper(BaseClient._make_api_call, traced))
    assert direct.instrumented()
    fast._make_api_call("GetItem", {"TableName": name, "Key": {"pk": {"S": "none"}, "sk": {"S": "none"}}})
    assert counted.calls == ["DescribeTable", "GetItem"]

    def recording(client, operation, params):  # as a test records what the app asks
        return original(client, operation, params)

    original = BaseClient.__dict__["_make_api_call"].__wrapped__
    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    assert direct.instrumented()
    monkeypatch.undo()
    assert not direct.instrumented()


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 500 to the first two requests, {} after."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.headers["X-Amz-Target"])
        failing = len(type(self).seen) <= 2
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "x"}
                          if failing else {}).encode()
        self.send_response(500 if failing else 200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_retryable_failure_is_retried_by_botocore() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        inner = _botocore(f"http://127.0.0.1:{server.server_address[1]}", retries={"mode": "standard",
                                                                                   "total_max_attempts": 3})
        counted = Counted(inner)
        assert _strip(DirectClient(inner)._make_api_call("GetItem", {"TableName": "t", "Key": {}})) == {}
        # The short way got a 500; botocore's call got another, retried, and got the answer.
        assert _Flaky.seen == ["DynamoDB_20120810.GetItem"] * 3 and counted.calls == ["GetItem"]
    finally:
        server.shutdown()


def test_a_connection_the_server_closed_is_not_an_error(table: tuple[str, str]) -> None:
    endpoint, name = table
    fast, _, _ = _pair(endpoint)
    get = {"TableName": name, "Key": {"pk": {"S": "none"}, "sk": {"S": "none"}}}
    fast._make_api_call("GetItem", get)
    fast._local.connection.sock.close()  # as if the server had dropped the kept-alive connection
    assert "Item" not in fast._make_api_call("GetItem", get)
    assert fast._make_api_call("GetItem", get) is not None


def test_under_moto_nothing_reaches_the_network() -> None:
    from moto import mock_aws

    with mock_aws():
        inner = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="testing",
                             aws_secret_access_key="testing")
        inner.create_table(TableName="moto-direct", KeySchema=KEY, AttributeDefinitions=ATTRS,
                           BillingMode="PAY_PER_REQUEST")
        fast = DirectClient(inner)
        key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
        fast._make_api_call("PutItem", {"TableName": "moto-direct", "Item": {**key, "v": {"S": "moto"}}})
        assert fast._make_api_call("GetItem", {"TableName": "moto-direct", "Key": key})["Item"]["v"] == {"S": "moto"}
        assert getattr(fast._local, "connection", None) is None  # moto answered at before-send


def test_botocores_stubber_answers_the_short_way_too() -> None:
    from botocore.stub import Stubber

    inner = _botocore("http://127.0.0.1:9")  # nothing listens there: only the stubber can answer
    counted = Counted(inner)
    with Stubber(inner) as stub:
        stub.add_response("get_item", {"Item": {"pk": {"S": "stubbed"}}}, {"TableName": "t", "Key": {}})
        stub.add_client_error("put_item", "ConditionalCheckFailedException", http_status_code=400)
        assert DirectClient(inner)._make_api_call("GetItem", {"TableName": "t", "Key": {}})["Item"] == {
            "pk": {"S": "stubbed"}}
        with pytest.raises(inner.exceptions.ConditionalCheckFailedException):
            DirectClient(inner)._make_api_call("PutItem", {"TableName": "t", "Item": {}})
        stub.assert_no_pending_responses()
    assert counted.calls == []  # answered on the short way, not by botocore's chain after a failure


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """An HTTPS server on loopback with a self-signed certificate, answering every call with ``{}``."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))

    class Empty(_Flaky):
        protocol_version = "HTTP/1.1"  # kept alive

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Empty)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", str(cert_path)
    server.shutdown()


def test_https_verifies_as_botocore_is_told_to(tls_server: tuple[str, str]) -> None:
    url, cert = tls_server
    for verify in (cert, False):  # the CA bundle botocore was given, or no verification
        inner = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a",
                             aws_secret_access_key="b", verify=verify)
        counted = Counted(inner)
        fast = DirectClient(inner)
        assert _strip(fast._make_api_call("GetItem", {"TableName": "t", "Key": {}})) == {}
        assert counted.calls == [] and fast._local.connection is not None  # over TLS, the short way


def test_a_certificate_that_does_not_verify_turns_the_short_way_off(tls_server: tuple[str, str]) -> None:
    url, _ = tls_server
    inner = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a",
                         aws_secret_access_key="b", config=Config(retries={"total_max_attempts": 1}))
    fast = DirectClient(inner)
    with pytest.raises(Exception, match="(?i)certificate|ssl"):  # botocore, told to verify, refuses it too
        fast._make_api_call("GetItem", {"TableName": "t", "Key": {}})
    assert not fast.usable
