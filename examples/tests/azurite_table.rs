//! The example Table client against Azurite under both drivers: weak ETags, OData v3 JSON
//! errors, and XML errors from the same service.
//!
//! Skipped (with a message saying how to start it) when Azurite is not running; under
//! `CI=true` a missing Azurite fails instead.

#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

mod common;

use clientcore::conditions::{Conditional, MatchConditions};
use clientcore::{ErrorKind, Options, ServiceError};
use clientcore_examples::storage::table::{TableClient, TableService};
use clientcore_examples::storage::{Account, AccountSas, Auth};
use common::{azurite, run, unique};
use serde::{Deserialize, Serialize};
use support::{Driver, TestClient};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Item {
    partition_key: String,
    row_key: String,
    name: String,
    count: i32,
}

fn item(row: &str, name: &str, count: i32) -> Item {
    Item {
        partition_key: "p1".into(),
        row_key: row.into(),
        name: name.into(),
        count,
    }
}

fn client(driver: Driver) -> TestClient {
    TestClient::new(driver, Options::new())
}

/// A fresh table signed with SharedKey; `None` when Azurite is absent.
fn fresh_table(client: &TestClient) -> Option<(TableService, TableClient)> {
    let azurite = azurite()?;
    let service = TableService::new(azurite.table, Auth::SharedKey(Account::devstoreaccount1()));
    let name = unique("t");
    run(client, service.create_table(&name)).expect("a new table is created");
    let table = service.table(&name);
    Some((service, table))
}

both_drivers!(
    insert_then_insert_again_is_entity_already_exists,
    |driver| {
        let client = client(driver);
        let Some((_, table)) = fresh_table(&client) else {
            return;
        };
        let inserted = run(&client, table.insert(&item("r1", "first", 1)).unwrap()).unwrap();
        assert!(inserted.etag.is_weak(), "{:?}", inserted.etag);
        assert!(inserted.etag.as_str().starts_with("W/\"datetime'"));

        let err = run(&client, table.insert(&item("r1", "again", 2)).unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceExists);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
        assert_eq!(err.error_code(), Some("EntityAlreadyExists"));
        // The `odata.error` JSON body is parsed, not just the header.
        assert!(
            matches!(err.service_error(), Some(ServiceError::ODataV3(_))),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("The specified entity already exists."),
            "{err}"
        );

        let got = run(&client, table.get::<Item>("p1", "r1")).unwrap();
        assert_eq!(got.value, item("r1", "first", 1));
        assert_eq!(got.properties.etag, inserted.etag);
    }
);

both_drivers!(creating_a_table_twice_is_table_already_exists, |driver| {
    let client = client(driver);
    let Some((service, table)) = fresh_table(&client) else {
        return;
    };
    let err = run(&client, service.create_table(table.name())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExists);
    assert_eq!(err.error_code(), Some("TableAlreadyExists"));
});

both_drivers!(a_missing_entity_is_not_found, |driver| {
    let client = client(driver);
    let Some((service, table)) = fresh_table(&client) else {
        return;
    };
    let err = run(&client, table.get::<Item>("p1", "missing")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.error_code(), Some("ResourceNotFound"));
    assert!(matches!(
        err.service_error(),
        Some(ServiceError::ODataV3(_))
    ));

    let err = run(
        &client,
        service.table(&unique("none")).get::<Item>("p1", "r1"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(err.error_code(), Some("TableNotFound"));
});

both_drivers!(
    an_update_with_a_stale_weak_etag_is_resource_modified,
    |driver| {
        let client = client(driver);
        let Some((_, table)) = fresh_table(&client) else {
            return;
        };
        let first = run(&client, table.insert(&item("r1", "first", 1)).unwrap()).unwrap();

        // Sent back byte for byte: the weak ETag with its URL-encoded colons.
        let current = Conditional::new(MatchConditions::IfNotModified, Some(&first.etag)).unwrap();
        let second = run(
            &client,
            table
                .update("p1", "r1", &item("r1", "second", 2))
                .unwrap()
                .when(&current),
        )
        .unwrap();
        assert_ne!(second.etag, first.etag);

        let err = run(
            &client,
            table
                .update("p1", "r1", &item("r1", "third", 3))
                .unwrap()
                .when(&current),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceModified);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(412));
        assert_eq!(err.error_code(), Some("UpdateConditionNotSatisfied"));

        let now = run(&client, table.get::<Item>("p1", "r1")).unwrap();
        assert_eq!(now.value, item("r1", "second", 2));
        assert_eq!(now.properties.etag, second.etag);
    }
);

both_drivers!(
    a_table_sas_works_and_no_credentials_is_an_xml_error,
    |driver| {
        let client = client(driver);
        let Some((_, table)) = fresh_table(&client) else {
            return;
        };
        run(&client, table.insert(&item("r1", "by key", 1)).unwrap()).unwrap();
        let azurite = azurite().unwrap();

        let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1());
        let by_sas = TableService::new(azurite.table.clone(), Auth::Sas(sas)).table(table.name());
        let got = run(&client, by_sas.get::<Item>("p1", "r1")).unwrap();
        assert_eq!(got.value.name, "by key");

        // The Table service answers authentication failures in XML, not OData JSON: the error
        // format is picked from the Content-Type.
        let anonymous = TableService::new(azurite.table, Auth::Anonymous).table(table.name());
        let err = run(&client, anonymous.get::<Item>("p1", "r1")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
        assert_eq!(err.error_code(), Some("AuthorizationFailure"));
        assert!(
            matches!(err.service_error(), Some(ServiceError::Storage(_))),
            "{err:?}"
        );
    }
);

both_drivers!(keys_with_quotes_are_escaped_in_the_entity_url, |driver| {
    let client = client(driver);
    let Some((_, table)) = fresh_table(&client) else {
        return;
    };
    let tricky = Item {
        partition_key: "p1".into(),
        row_key: "o'brien".into(),
        name: "quoted".into(),
        count: 7,
    };
    run(&client, table.insert(&tricky).unwrap()).unwrap();
    let got = run(&client, table.get::<Item>("p1", "o'brien")).unwrap();
    assert_eq!(got.value, tricky);
    run(&client, table.delete("p1", "o'brien")).unwrap();
    let err = run(&client, table.get::<Item>("p1", "o'brien")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
});
