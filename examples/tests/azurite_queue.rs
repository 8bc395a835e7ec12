//! The example Queue client against Azurite, the real storage emulator, under both drivers.
//!
//! Skipped (with a message saying how to start it) when Azurite is not running; under
//! `CI=true` a missing Azurite fails instead. `.ci/run` starts one.

#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientcore::paging::Page;
use clientcore::{Error, ErrorKind, Options};
use clientcore_examples::storage::queue::{QueueClient, QueueItem, QueueService};
use clientcore_examples::storage::{Account, AccountSas, Auth};
use common::{azurite, run, unique};
use futures_util::TryStreamExt as _;
use support::{Driver, TestClient};

fn client(driver: Driver) -> TestClient {
    TestClient::new(driver, Options::new())
}

fn service(auth: Auth) -> Option<QueueService> {
    Some(QueueService::new(azurite()?.queue, auth))
}

/// A fresh, empty queue signed with SharedKey; `None` when Azurite is absent.
fn fresh_queue(client: &TestClient) -> Option<QueueClient> {
    let queue = service(Auth::SharedKey(Account::devstoreaccount1()))?.queue(&unique("q"));
    run(client, queue.create(&[]).unwrap()).expect("a new queue is created");
    Some(queue)
}

fn list(
    client: &TestClient,
    service: &QueueService,
    prefix: &str,
    size: u32,
    token: Option<String>,
) -> Result<Vec<Page<QueueItem>>, Error> {
    match client.driver() {
        Driver::Async => client.block_on(
            service
                .list_queues(client.async_client(), prefix, size)
                .by_page(token)
                .into_pages()
                .try_collect(),
        ),
        Driver::Blocking => service
            .list_queues_blocking(client.blocking_client(), prefix, size)
            .by_page(token)
            .pages()
            .collect(),
    }
}

both_drivers!(
    create_existing_queue_is_resource_exists_whatever_the_metadata,
    |driver| {
        let client = client(driver);
        let Some(service) = service(Auth::SharedKey(Account::devstoreaccount1())) else {
            return;
        };
        let queue = service.queue(&unique("q"));
        run(&client, queue.create(&[("owner", "ops")]).unwrap()).unwrap();

        // The same metadata: Azure answers 204, raised as the Python SDK does.
        let same = run(&client, queue.create(&[("owner", "ops")]).unwrap()).unwrap_err();
        assert_eq!(same.kind(), ErrorKind::ResourceExists, "{same}");
        assert_eq!(same.error_code(), Some("QueueAlreadyExists"));
        assert_eq!(same.status().map(|s| s.as_u16()), Some(204));
        assert!(same.request_id().is_some(), "x-ms-request-id is kept");

        // Other metadata: the service's own 409.
        let other = run(&client, queue.create(&[("owner", "dev")]).unwrap()).unwrap_err();
        assert_eq!(other.kind(), ErrorKind::ResourceExists, "{other}");
        assert_eq!(other.error_code(), Some("QueueAlreadyExists"));
        assert_eq!(other.status().map(|s| s.as_u16()), Some(409));

        run(&client, queue.delete()).unwrap();
        let gone = run(&client, queue.delete()).unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::ResourceNotFound, "{gone}");
        assert_eq!(gone.error_code(), Some("QueueNotFound"));
        let err = run(&client, queue.properties()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceNotFound, "{err}");
        let err = run(&client, queue.send_message("x", None)).unwrap_err();
        assert_eq!(err.error_code(), Some("QueueNotFound"), "{err}");
    }
);

both_drivers!(metadata_is_set_and_read_back, |driver| {
    let client = client(driver);
    let Some(queue) = fresh_queue(&client) else {
        return;
    };
    let props = run(&client, queue.properties()).unwrap();
    assert!(props.metadata.is_empty());
    assert_eq!(props.approximate_message_count, 0);

    run(
        &client,
        queue
            .set_metadata(&[("owner", "ops"), ("tier", "gold")])
            .unwrap(),
    )
    .unwrap();
    run(&client, queue.send_message("one", None)).unwrap();
    let props = run(&client, queue.properties()).unwrap();
    let expected: BTreeMap<String, String> = [("owner", "ops"), ("tier", "gold")]
        .map(|(k, v)| (k.into(), v.into()))
        .into();
    assert_eq!(props.metadata, expected);
    assert_eq!(props.approximate_message_count, 1);

    // A value a header cannot carry is refused before anything is sent.
    let err = queue.set_metadata(&[("owner", "a\r\nb")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Serialization);
    run(&client, queue.delete()).unwrap();
});

both_drivers!(
    messages_are_put_peeked_received_updated_and_deleted,
    |driver| {
        let client = client(driver);
        let Some(queue) = fresh_queue(&client) else {
            return;
        };
        // Markup and spaces at either end travel as written.
        let tricky = "  <b>fish & chips</b> \"quoted\"  ";
        let put = run(&client, queue.send_message(tricky, None)).unwrap();
        assert!(!put.id.is_empty());
        assert!(put.pop_receipt.is_some() && put.inserted_on.is_some() && put.expires_on.is_some());
        run(&client, queue.send_message("second", None)).unwrap();
        run(
            &client,
            queue.send_message("later", Some(Duration::from_secs(60))),
        )
        .unwrap();

        // Peek: the visible two, untouched.
        let peeked = run(&client, queue.peek_messages(32)).unwrap();
        let texts: Vec<_> = peeked.iter().map(|m| m.text.as_deref().unwrap()).collect();
        assert_eq!(texts, [tricky, "second"]);
        assert_eq!(peeked[0].id, put.id);
        assert_eq!(peeked[0].pop_receipt, None);
        assert_eq!(peeked[0].dequeue_count, Some(0));

        // Receive one: hidden for a minute, with a pop receipt.
        let got = run(&client, queue.receive_messages(1, Duration::from_secs(60))).unwrap();
        assert_eq!(got.len(), 1);
        let message = &got[0];
        assert_eq!(message.text.as_deref(), Some(tricky));
        assert_eq!(message.dequeue_count, Some(1));
        assert!(message.next_visible_on.is_some());
        let receipt = message.pop_receipt.clone().unwrap();
        let peeked = run(&client, queue.peek_messages(32)).unwrap();
        assert_eq!(
            peeked.len(),
            1,
            "the received message is hidden: {peeked:?}"
        );

        // Update: new text, visible again at once, a new pop receipt.
        let updated = run(
            &client,
            queue.update_message(
                &message.id,
                &receipt,
                Some("fish & chips, updated"),
                Duration::ZERO,
            ),
        )
        .unwrap();
        assert_ne!(updated.pop_receipt, receipt);
        assert!(updated.next_visible_on.is_some());
        let peeked = run(&client, queue.peek_messages(32)).unwrap();
        let texts: Vec<_> = peeked.iter().map(|m| m.text.clone().unwrap()).collect();
        assert!(
            texts.contains(&"fish & chips, updated".to_owned()),
            "{texts:?}"
        );

        // The old receipt no longer deletes it; the new one does.
        let stale = run(&client, queue.delete_message(&message.id, &receipt)).unwrap_err();
        assert!(
            stale.status().is_some_and(|s| s.is_client_error()),
            "{stale}"
        );
        run(
            &client,
            queue.delete_message(&message.id, &updated.pop_receipt),
        )
        .unwrap();
        let missing = run(
            &client,
            queue.delete_message(&message.id, &updated.pop_receipt),
        )
        .unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::ResourceNotFound, "{missing}");
        assert_eq!(missing.error_code(), Some("MessageNotFound"));
        let peeked = run(&client, queue.peek_messages(32)).unwrap();
        assert_eq!(
            peeked.iter().map(|m| m.text.as_deref()).collect::<Vec<_>>(),
            [Some("second")]
        );

        // Clear: nothing left, not even the delayed one.
        run(&client, queue.clear_messages()).unwrap();
        assert_eq!(
            run(&client, queue.properties())
                .unwrap()
                .approximate_message_count,
            0
        );
        run(&client, queue.delete()).unwrap();
    }
);

both_drivers!(queues_are_listed_page_by_page_with_the_marker, |driver| {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sent);
    let client = TestClient::new(
        driver,
        Options::new().with_request_hook(move |r| seen.lock().unwrap().push(r.parts.url.clone())),
    );
    let Some(service) = service(Auth::SharedKey(Account::devstoreaccount1())) else {
        return;
    };
    let prefix = unique("list");
    let names: Vec<String> = (0..5).map(|i| format!("{prefix}-{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let index = i.to_string();
        run(
            &client,
            service.queue(name).create(&[("index", &index)]).unwrap(),
        )
        .unwrap();
    }
    sent.lock().unwrap().clear();

    let pages = list(&client, &service, &prefix, 2, None).unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let listed: Vec<&QueueItem> = pages.iter().flat_map(|p| &p.items).collect();
    assert_eq!(
        listed.iter().map(|q| q.name.clone()).collect::<Vec<_>>(),
        names
    );
    assert_eq!(
        listed[3].metadata.get("index").map(String::as_str),
        Some("3")
    );

    // Each page after the first sent back the marker of the one before.
    let markers: Vec<Option<String>> = sent
        .lock()
        .unwrap()
        .iter()
        .map(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "marker")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(markers.len(), 3);
    assert_eq!(markers[0], None);
    assert_eq!(markers[1], pages[0].continuation_token);
    assert_eq!(markers[2], pages[1].continuation_token);
    assert_eq!(pages[2].continuation_token, None);

    // Resumed from the first page's marker, a new pager lists the rest.
    let rest = list(
        &client,
        &service,
        &prefix,
        2,
        pages[0].continuation_token.clone(),
    )
    .unwrap();
    let rest: Vec<String> = rest
        .into_iter()
        .flat_map(|p| p.items)
        .map(|q| q.name)
        .collect();
    assert_eq!(rest, names[2..]);
    for name in &names {
        run(&client, service.queue(name).delete()).unwrap();
    }
});

both_drivers!(
    a_rotated_key_reaches_a_live_client_and_sas_works_too,
    |driver| {
        let client = client(driver);
        let Some(azurite) = azurite() else { return };
        // A well-formed key that is not the account's: refused.
        let account = Account::new("devstoreaccount1", "d3Jvbmcta2V5").unwrap();
        let service = QueueService::new(azurite.queue.clone(), Auth::SharedKey(account.clone()));
        let name = unique("q");
        let queue = service.queue(&name);
        let err = run(&client, queue.create(&[]).unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication, "{err}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(403));

        // The key rotated on the account: the same service and queue clients now sign with it.
        let right = Account::devstoreaccount1();
        let key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        account.update(key).unwrap();
        run(&client, queue.create(&[]).unwrap()).unwrap();
        run(&client, queue.send_message("signed", None)).unwrap();

        // An account SAS (ss=bqt covers queues) reads it without the key.
        let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&right);
        let by_sas = QueueService::new(azurite.queue, Auth::Sas(sas)).queue(&name);
        let peeked = run(&client, by_sas.peek_messages(1)).unwrap();
        assert_eq!(peeked[0].text.as_deref(), Some("signed"));
        run(&client, queue.delete()).unwrap();
    }
);
