//! The example batches against Azurite under both drivers: a Tables transaction (`$batch`
//! with one changeset) and a blob batch (several deletes in one `multipart/mixed` request),
//! each failed part a typed error with its parsed service error; each under the account key and
//! under an account SAS (on every sub-request of a blob batch, as the Python SDK sends it).
//!
//! Skipped (with a message saying how to start it) when Azurite is not running; under
//! `CI=true` a missing Azurite fails instead.

#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

mod common;

use std::sync::{Arc, Mutex};

use clientcore::conditions::{Conditional, MatchConditions};
use clientcore::{ErrorKind, Options, ServiceError};
use clientcore_examples::storage::blob::BlobService;
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
    count: i32,
}

fn item(row: &str, count: i32) -> Item {
    let (partition_key, row_key) = ("p1".to_owned(), row.to_owned());
    Item {
        partition_key,
        row_key,
        count,
    }
}

/// A client of `driver` that keeps the body of every request it sends.
fn recording(driver: Driver) -> (TestClient, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    let options = Options::new().with_request_hook(move |r| {
        let body = r.body.map(String::from_utf8_lossy);
        seen.lock()
            .unwrap()
            .push(body.unwrap_or_default().into_owned());
    });
    (TestClient::new(driver, options), bodies)
}

fn fresh_table(client: &TestClient) -> Option<TableClient> {
    let azurite = azurite()?;
    let service = TableService::new(azurite.table, Auth::SharedKey(Account::devstoreaccount1()));
    let name = unique("t");
    run(client, service.create_table(&name)).expect("a new table is created");
    Some(service.table(&name))
}

both_drivers!(a_table_transaction_writes_all_or_nothing, |driver| {
    let (client, bodies) = recording(driver);
    let Some(table) = fresh_table(&client) else {
        return;
    };
    let first = run(&client, table.insert(&item("r0", 0)).unwrap()).unwrap();

    // Inserts and an update in one partition: one request, every write done.
    let transaction = table
        .transaction()
        .with(table.insert(&item("r1", 1)).unwrap())
        .with(table.insert(&item("r2", 2)).unwrap())
        .with(table.update("p1", "r0", &item("r0", 10)).unwrap());
    bodies.lock().unwrap().clear();
    let done = run(&client, transaction.commit().unwrap()).unwrap();
    assert_eq!(done.len(), 3);
    assert!(done.iter().all(|p| p.etag.is_weak()), "{done:?}");
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "one $batch request");
    assert!(sent[0].contains("Content-Type: multipart/mixed; boundary=changeset_"));
    assert_eq!(sent[0].matches(" HTTP/1.1\r\n").count(), 3, "{}", sent[0]);
    for row in ["r0", "r1", "r2"] {
        let got = run(&client, table.get::<Item>("p1", row)).unwrap();
        assert_eq!(
            got.value.count,
            if row == "r0" {
                10
            } else {
                row[1..].parse().unwrap()
            }
        );
    }

    // A changeset whose second insert exists already: a typed error with the service's
    // parsed OData error, and the first insert of it is rolled back.
    let failing = table
        .transaction()
        .with(table.insert(&item("r3", 3)).unwrap())
        .with(table.insert(&item("r1", 99)).unwrap());
    let err = run(&client, failing.commit().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExists, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(err.error_code(), Some("EntityAlreadyExists"));
    assert!(
        matches!(err.service_error(), Some(ServiceError::ODataV3(_))),
        "{err:?}"
    );
    let missing = run(&client, table.get::<Item>("p1", "r3")).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::ResourceNotFound, "{missing}");
    assert_eq!(
        run(&client, table.get::<Item>("p1", "r1"))
            .unwrap()
            .value
            .count,
        1
    );

    // A write's condition travels with it: r0 changed since `first`, so the update fails.
    let stale = Conditional::new(MatchConditions::IfNotModified, Some(&first.etag)).unwrap();
    let update = table
        .update("p1", "r0", &item("r0", 0))
        .unwrap()
        .when(&stale);
    let err = run(&client, table.transaction().with(update).commit().unwrap()).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(412), "{err}");
    assert_eq!(err.error_code(), Some("UpdateConditionNotSatisfied"));
    let kept = run(&client, table.get::<Item>("p1", "r0")).unwrap();
    assert_eq!(kept.value.count, 10);
});

both_drivers!(a_blob_batch_deletes_each_blob_or_says_why_not, |driver| {
    let (client, bodies) = recording(driver);
    let Some(azurite) = azurite() else { return };
    let service = BlobService::new(azurite.blob, Auth::SharedKey(Account::devstoreaccount1()));
    let container = service.container(&unique("c"));
    run(&client, container.create()).unwrap();
    for name in ["a.txt", "b c.txt"] {
        run(&client, container.blob(name).upload("x")).unwrap();
    }

    bodies.lock().unwrap().clear();
    let names = ["a.txt", "missing.txt", "b c.txt"];
    let results = run(&client, container.delete_blobs(&names).unwrap()).unwrap();

    // One request, three sub-requests, each signed on its own.
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "one batch request");
    assert_eq!(sent[0].matches("\r\nDELETE /devstoreaccount1/").count(), 3);
    assert_eq!(
        sent[0]
            .matches("authorization: SharedKey devstoreaccount1:")
            .count(),
        3
    );
    assert!(sent[0].contains("/b%20c.txt HTTP/1.1\r\n"), "{}", sent[0]);

    // One result per blob, in order; the missing one a typed error with its code.
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.error_code(), Some("BlobNotFound"));
    for name in ["a.txt", "b c.txt"] {
        let gone = run(&client, container.blob(name).properties()).unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::ResourceNotFound, "{name}: {gone}");
    }
    run(&client, container.delete()).unwrap();
});

/// An account SAS with every permission, for the development account.
fn sas() -> Auth {
    Auth::Sas(AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1()))
}

both_drivers!(
    a_blob_batch_under_a_sas_carries_it_on_every_sub_request,
    |driver| {
        let (client, bodies) = recording(driver);
        let Some(azurite) = azurite() else { return };
        let service = BlobService::new(azurite.blob, sas());
        let container = service.container(&unique("c"));
        run(&client, container.create()).unwrap();
        for name in ["a.txt", "b c.txt"] {
            run(&client, container.blob(name).upload("x")).unwrap();
        }

        bodies.lock().unwrap().clear();
        let names = ["a.txt", "missing.txt", "b c.txt"];
        let results = run(&client, container.delete_blobs(&names).unwrap()).unwrap();

        // As the Python SDK sends it: the SAS on each sub-request's URL (the batch's own URL
        // has it from the pipeline), and no SharedKey signature anywhere.
        let sent = bodies.lock().unwrap().clone();
        assert_eq!(sent.len(), 1, "one batch request");
        let lines: Vec<&str> = sent[0]
            .lines()
            .filter(|l| l.starts_with("DELETE /devstoreaccount1/"))
            .collect();
        assert_eq!(lines.len(), 3, "{}", sent[0]);
        for line in &lines {
            assert!(line.contains("?sv=2021-12-02&ss=bqt&srt=sco&"), "{line}");
            assert!(line.contains("&sig="), "{line}");
        }
        assert!(!sent[0].to_ascii_lowercase().contains("authorization:"));

        // Azurite checked each part's SAS: the two blobs went, the missing one is typed.
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        let err = results[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceNotFound, "{err}");
        assert_eq!(err.error_code(), Some("BlobNotFound"));
        for name in ["a.txt", "b c.txt"] {
            let gone = run(&client, container.blob(name).properties()).unwrap_err();
            assert_eq!(gone.kind(), ErrorKind::ResourceNotFound, "{name}: {gone}");
        }
        run(&client, container.delete()).unwrap();
    }
);

both_drivers!(a_table_transaction_under_a_sas_commits, |driver| {
    let (client, bodies) = recording(driver);
    let Some(azurite) = azurite() else { return };
    let service = TableService::new(azurite.table, sas());
    let name = unique("t");
    run(&client, service.create_table(&name)).unwrap();
    let table = service.table(&name);

    bodies.lock().unwrap().clear();
    let transaction = table
        .transaction()
        .with(table.insert(&item("r1", 1)).unwrap())
        .with(table.insert(&item("r2", 2)).unwrap());
    let done = run(&client, transaction.commit().unwrap()).unwrap();
    assert_eq!(done.len(), 2);
    // The SAS authorizes the `$batch` request as a whole, as the Python SDK sends it: the
    // changeset's sub-requests name the table without it.
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].contains("sig="), "{}", sent[0]);
    let got = run(&client, table.get::<Item>("p1", "r2")).unwrap();
    assert_eq!(got.value.count, 2);
});
