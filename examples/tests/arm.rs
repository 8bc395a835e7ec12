//! The ARM-style client against a local server that answers as Resource Manager does: a
//! virtual network PUT run as a long-running operation through `Azure-AsyncOperation`, a
//! failed operation, a `RequestDisallowedByPolicy` denial read as typed policy violations, a
//! 404, and an operation resumed from its continuation token. Every test runs under both
//! drivers, on a fake clock where the poller waits.

mod common;
#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clientcore::http::header::AUTHORIZATION;
use clientcore::policies::auth::Credential;
use clientcore::{Error, ErrorKind, Options};
use clientcore_examples::arm::{
    additional_info, AddressSpace, ArmClient, EvaluatedExpression, LongRunning, PolicyViolation,
    VirtualNetwork, VirtualNetworkProperties,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use support::{Driver, Recorded, Reply, Server, TestClient};

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const VNET_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1\
                         /providers/Microsoft.Network/virtualNetworks/vnet1";
const VNET_TARGET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1\
                           /providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2024-05-01";
const OP_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/providers\
                       /Microsoft.Network/locations/eastus/operations/op-42";
const OP_TARGET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/providers\
                         /Microsoft.Network/locations/eastus/operations/op-42?api-version=2024-05-01";

/// The client under test. ARM's own credential is a bearer token, which clientcore (rightly)
/// refuses to send over plain http; the local server gets the same header from a key.
fn arm(server: &Server) -> ArmClient {
    ArmClient::new(server.origin().parse().unwrap(), SUB)
        .with_credential(Credential::key(AUTHORIZATION, "Bearer fake-arm-token"))
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_string())
}

/// The absolute monitor URL ARM puts in `Azure-AsyncOperation`, on this server (read from
/// the request's `Host`, as the handler is made before the server has a port).
fn monitor_url(r: &Recorded) -> String {
    format!("http://{}{OP_TARGET}", r.header("host").unwrap())
}

/// An ARM service for the network: the PUT answers 201 with `Azure-AsyncOperation` (and
/// `retry-after`, if given), the status monitor answers `statuses` in turn (the last one
/// again after that), and the final GET the succeeded network.
fn vnet_service(retry_after: Option<&'static str>, statuses: Vec<Value>) -> Server {
    let polls = AtomicUsize::new(0);
    Server::builder()
        .handler(
            move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
                ("PUT", VNET_PATH) => {
                    let reply = json_reply(201, &vnet_json("Updating"))
                        .header("azure-asyncoperation", monitor_url(r));
                    match retry_after {
                        Some(after) => reply.header("retry-after", after),
                        None => reply,
                    }
                }
                ("GET", OP_PATH) => {
                    let i = polls.fetch_add(1, Ordering::SeqCst).min(statuses.len() - 1);
                    json_reply(200, &statuses[i])
                }
                ("GET", VNET_PATH) => json_reply(200, &vnet_json("Succeeded")),
                other => panic!("unexpected {other:?}"),
            },
        )
        .build()
}

fn vnet_json(state: &str) -> Value {
    json!({
        "name": "vnet1",
        "id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1",
        "etag": "W/\"6ffb2ae0-1a2b-4c3d-8e9f-0a1b2c3d4e5f\"",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "eastus",
        "tags": {"env": "test"},
        "properties": {
            "provisioningState": state,
            "resourceGuid": "5a1b2c3d-0000-0000-0000-000000000000",
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [],
            "virtualNetworkPeerings": [],
            "enableDdosProtection": false
        }
    })
}

fn new_vnet() -> VirtualNetwork {
    VirtualNetwork::new("eastus", ["10.0.0.0/16"]).with_tag("env", "test")
}

/// Runs the operation to the end with the test's driver.
fn wait<T: DeserializeOwned>(c: &TestClient, op: LongRunning<T>) -> Result<T, Error> {
    match c.driver() {
        Driver::Async => c.block_on(op.send(c.async_client())),
        Driver::Blocking => op.send_blocking(c.blocking_client()),
    }
}

/// Sends the initial request only and returns the poller's continuation token.
fn begin_token<T: DeserializeOwned>(c: &TestClient, op: LongRunning<T>) -> String {
    match c.driver() {
        Driver::Async => c.block_on(async {
            op.begin(c.async_client())
                .await
                .unwrap()
                .continuation_token()
        }),
        Driver::Blocking => op
            .begin_blocking(c.blocking_client())
            .unwrap()
            .continuation_token(),
    }
}

both_drivers!(
    create_or_update_polls_the_async_operation_then_gets_the_network,
    |driver| {
        let server = vnet_service(
            Some("10"),
            vec![
                json!({"status": "InProgress"}),
                json!({"status": "Succeeded"}),
            ],
        );
        let client = TestClient::fake_time(driver, Options::new());
        let op = arm(&server)
            .begin_create_or_update_virtual_network("rg1", "vnet1", &new_vnet())
            .unwrap();
        let done = wait(&client, op).unwrap();

        assert_eq!(
        done,
        VirtualNetwork {
            id: Some(format!(
                "/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1"
            )),
            name: Some("vnet1".to_owned()),
            resource_type: Some("Microsoft.Network/virtualNetworks".to_owned()),
            location: "eastus".to_owned(),
            tags: [("env".to_owned(), "test".to_owned())].into(),
            properties: VirtualNetworkProperties {
                address_space: AddressSpace {
                    address_prefixes: vec!["10.0.0.0/16".to_owned()]
                },
                provisioning_state: Some("Succeeded".to_owned()),
            },
        }
    );

        // The PUT, two polls of the monitor, then the resource itself: in that order.
        assert_eq!(
            server.request_lines(),
            [
                format!("PUT {VNET_TARGET}"),
                format!("GET {OP_TARGET}"),
                format!("GET {OP_TARGET}"),
                format!("GET {VNET_TARGET}"),
            ]
        );
        let requests = server.requests();
        let put: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(
            put,
            json!({"location": "eastus", "tags": {"env": "test"},
               "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})
        );
        assert_eq!(requests[0].header("content-type"), Some("application/json"));
        // Every call is authenticated and shares the initial call's client request id.
        let ids: Vec<_> = requests
            .iter()
            .map(|r| {
                assert_eq!(r.header("authorization"), Some("Bearer fake-arm-token"));
                r.header("x-ms-client-request-id").unwrap().to_owned()
            })
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        // The PUT's Retry-After, then the default 30 s polling interval: on the fake clock.
        assert_eq!(
            client.clock.sleeps(),
            [Duration::from_secs(10), Duration::from_secs(30)]
        );
    }
);

both_drivers!(the_polling_interval_is_the_clients, |driver| {
    // No Retry-After anywhere: every wait is the polling interval.
    let in_progress = json!({"status": "InProgress"});
    let server = vnet_service(
        None,
        vec![
            in_progress.clone(),
            in_progress,
            json!({"status": "Succeeded"}),
        ],
    );
    let client = TestClient::fake_time(driver, Options::new());
    let op = arm(&server)
        .with_polling_interval(Duration::from_secs(2))
        .begin_create_or_update_virtual_network("rg1", "vnet1", &new_vnet())
        .unwrap();
    let done = wait(&client, op).unwrap();
    assert_eq!(
        done.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    assert_eq!(server.requests().len(), 5);
    assert_eq!(client.clock.sleeps(), [Duration::from_secs(2); 3]);
});

both_drivers!(a_failed_operation_is_a_typed_arm_error, |driver| {
    let server = vnet_service(
        Some("10"),
        vec![json!({"status": "Failed", "error": {
            "code": "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
            "message": "Address space 10.0.0.0/16 overlaps with the peered network hub.",
            "details": []
        }})],
    );
    let client = TestClient::fake_time(driver, Options::new());
    let op = arm(&server)
        .begin_create_or_update_virtual_network("rg1", "vnet1", &new_vnet())
        .unwrap();
    let err = wait(&client, op).unwrap_err();

    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert!(err.is_http_response());
    // The monitor answered 200: the operation failed, not the poll.
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(
        err.error_code(),
        Some("VnetAddressSpaceOverlapsWithAlreadyPeeredVnet")
    );
    assert_eq!(
        err.to_string(),
        "(VnetAddressSpaceOverlapsWithAlreadyPeeredVnet) Address space 10.0.0.0/16 overlaps \
         with the peered network hub.\n\
         Code: VnetAddressSpaceOverlapsWithAlreadyPeeredVnet\n\
         Message: Address space 10.0.0.0/16 overlaps with the peered network hub."
    );
    assert!(additional_info(&err).is_empty());
    assert!(err.continuation_token().is_some());
    // No GET of the resource after a failure.
    assert_eq!(
        server.request_lines(),
        [format!("PUT {VNET_TARGET}"), format!("GET {OP_TARGET}")]
    );
    assert_eq!(client.clock.sleeps(), [Duration::from_secs(10)]);
});

/// What ARM sends when an `Allowed locations` assignment denies a PUT.
fn policy_denial() -> Value {
    json!({"error": {
        "code": "RequestDisallowedByPolicy",
        "target": "vnet1",
        "message": "Resource 'vnet1' was disallowed by policy. Policy identifiers: \
                    '[{\"policyAssignment\":{\"name\":\"Allowed locations\"}}]'.",
        "additionalInfo": [{
            "type": "PolicyViolation",
            "info": {
                "evaluationDetails": {"evaluatedExpressions": [{
                    "result": "False",
                    "expressionKind": "Field",
                    "expression": "location",
                    "path": "location",
                    "expressionValue": "westus",
                    "targetValue": ["eastus", "eastus2"],
                    "operator": "In"
                }]},
                "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c",
                "policyDefinitionName": "e56962a6-4747-49cd-b67b-bf8b01975c4c",
                "policyDefinitionDisplayName": "Allowed locations",
                "policyDefinitionEffect": "deny",
                "policyAssignmentId": "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/policyAssignments/allowed-locations",
                "policyAssignmentName": "allowed-locations",
                "policyAssignmentDisplayName": "Allowed locations",
                "policyAssignmentScope": "/subscriptions/00000000-0000-0000-0000-000000000001",
                "policyAssignmentParameters": {"listOfAllowedLocations": {"value": ["eastus", "eastus2"]}}
            }
        }]
    }})
}

both_drivers!(a_policy_denial_is_read_as_typed_violations, |driver| {
    let server = Server::start([json_reply(403, &policy_denial())
        .header("x-ms-failure-cause", "gateway")
        .header("x-ms-request-id", "8d6c3b1a-0000-0000-0000-000000000000")]);
    let client = TestClient::fake_time(driver, Options::new());
    let vnet = VirtualNetwork::new("westus", ["10.0.0.0/16"]);
    let op = arm(&server)
        .begin_create_or_update_virtual_network("rg1", "vnet1", &vnet)
        .unwrap();
    let err = wait(&client, op).unwrap_err();

    // The kind, code and message: what code branches on.
    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.error_code(), Some("RequestDisallowedByPolicy"));
    assert_eq!(
        err.request_id(),
        Some("8d6c3b1a-0000-0000-0000-000000000000")
    );
    let message = "Resource 'vnet1' was disallowed by policy. Policy identifiers: \
                   '[{\"policyAssignment\":{\"name\":\"Allowed locations\"}}]'.";
    let Some(clientcore::ServiceError::OData(odata)) = err.service_error() else {
        panic!("not an ARM error: {err:?}")
    };
    assert_eq!(odata.message(), Some(message));
    assert_eq!(odata.target(), Some("vnet1"));

    // Display: what a person reads, with the additional info as indented JSON.
    let shown = err.to_string();
    assert!(
        shown.contains("\n    \"policyDefinitionDisplayName\": \"Allowed locations\",\n"),
        "{shown}"
    );
    // The whole of it: the info printed as JSON indented by four spaces, in body order.
    let info_json = {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        serde::Serialize::serialize(
            &policy_denial()["error"]["additionalInfo"][0]["info"],
            &mut ser,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(
        shown,
        format!(
            "(RequestDisallowedByPolicy) {message}\n\
             Code: RequestDisallowedByPolicy\n\
             Message: {message}\n\
             Target: vnet1\n\
             Additional Information:\n\
             Type: PolicyViolation\n\
             Info: {info_json}"
        )
    );

    // The additional info as clientcore gives it: a type and JSON.
    let info = additional_info(&err);
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].type_(), "PolicyViolation");
    assert_eq!(info[0].info()["policyDefinitionEffect"], "deny");

    // ...and read typed.
    let violations = PolicyViolation::all_in(&err).unwrap();
    assert_eq!(violations.len(), 1);
    let v = &violations[0];
    assert_eq!(
        v.policy_definition_display_name.as_deref(),
        Some("Allowed locations")
    );
    assert_eq!(
        v.policy_definition_name.as_deref(),
        Some("e56962a6-4747-49cd-b67b-bf8b01975c4c")
    );
    assert_eq!(v.policy_definition_effect.as_deref(), Some("deny"));
    assert_eq!(
        v.policy_assignment_name.as_deref(),
        Some("allowed-locations")
    );
    assert_eq!(
        v.policy_assignment_id.as_deref(),
        Some(
            "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/policyAssignments/allowed-locations"
        )
    );
    assert_eq!(
        v.policy_assignment_scope.as_deref(),
        Some("/subscriptions/00000000-0000-0000-0000-000000000001")
    );
    assert_eq!(
        v.policy_assignment_parameters,
        Some(json!({"listOfAllowedLocations": {"value": ["eastus", "eastus2"]}}))
    );
    assert_eq!(
        v.evaluation_details.as_ref().unwrap().evaluated_expressions,
        [EvaluatedExpression {
            result: Some("False".to_owned()),
            expression_kind: Some("Field".to_owned()),
            expression: Some("location".to_owned()),
            path: Some("location".to_owned()),
            expression_value: Some(json!("westus")),
            target_value: Some(json!(["eastus", "eastus2"])),
            operator: Some("In".to_owned()),
        }]
    );

    // The denial came on the PUT: one request, not retried, no polling.
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "PUT");
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(a_missing_network_is_resource_not_found, |driver| {
    let server = Server::start([json_reply(
        404,
        &json!({"error": {
            "code": "ResourceNotFound",
            "message": "The Resource 'Microsoft.Network/virtualNetworks/vnet1' under resource group 'rg1' was not found."
        }}),
    )
    .header("x-ms-failure-cause", "gateway")]);
    let client = TestClient::new(driver, Options::new());
    let err = common::run(&client, arm(&server).get_virtual_network("rg1", "vnet1")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(err.error_code(), Some("ResourceNotFound"));
    assert!(err
        .to_string()
        .starts_with("(ResourceNotFound) The Resource 'Microsoft.Network/virtualNetworks/vnet1'"));
    assert!(PolicyViolation::all_in(&err).unwrap().is_empty());
    assert_eq!(server.request_lines(), [format!("GET {VNET_TARGET}")]);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer fake-arm-token")
    );
});

both_drivers!(
    a_fresh_client_resumes_from_the_continuation_token,
    |driver| {
        let server = vnet_service(Some("10"), vec![json!({"status": "Succeeded"})]);
        let token = {
            let first = TestClient::fake_time(driver, Options::new());
            let op = arm(&server)
                .begin_create_or_update_virtual_network("rg1", "vnet1", &new_vnet())
                .unwrap();
            begin_token(&first, op)
        };
        assert_eq!(server.request_lines(), [format!("PUT {VNET_TARGET}")]);

        // Another process: a new client, the token only.
        let fresh = TestClient::fake_time(driver, Options::new());
        let resumed = arm(&server).resume::<VirtualNetwork>(token);
        assert!(resumed.request().is_none());
        let done = wait(&fresh, resumed).unwrap();
        assert_eq!(done.name.as_deref(), Some("vnet1"));
        assert_eq!(
            server.request_lines(),
            [
                format!("PUT {VNET_TARGET}"),
                format!("GET {OP_TARGET}"),
                format!("GET {VNET_TARGET}"),
            ]
        );
        // The resumed polls carry the credential and the initial call's request id.
        let requests = server.requests();
        for r in &requests[1..] {
            assert_eq!(r.header("authorization"), Some("Bearer fake-arm-token"));
            assert_eq!(
                r.header("x-ms-client-request-id"),
                requests[0].header("x-ms-client-request-id")
            );
        }
        // The token kept the PUT's Retry-After.
        assert_eq!(fresh.clock.sleeps(), [Duration::from_secs(10)]);
    }
);
