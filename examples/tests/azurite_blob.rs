//! The example Blob client against Azurite, the real storage emulator, under both drivers.
//!
//! Skipped (with a message saying how to start it) when Azurite is not running; under
//! `CI=true` a missing Azurite fails instead. `.ci/run` starts one.

#[path = "../../crates/clientcore/tests/support/mod.rs"]
mod support;

mod common;

use std::sync::{Arc, Mutex};

use clientcore::conditions::{Conditional, ETag, MatchConditions};
use clientcore::paging::{BlockingPager, Pager};
use clientcore::{ErrorKind, Options};
use clientcore_examples::storage::blob::{self, BlobItem, BlobService, ContainerClient};
use clientcore_examples::storage::{Account, AccountSas, Auth};
use common::{azurite, run, unique};
use futures_util::TryStreamExt as _;
use support::{Driver, TestClient};

/// A fresh container on Azurite, signed with SharedKey; `None` when Azurite is absent.
fn fresh_container(client: &TestClient) -> Option<ContainerClient> {
    let azurite = azurite()?;
    let service = BlobService::new(azurite.blob, Auth::SharedKey(Account::devstoreaccount1()));
    let container = service.container(&unique("c"));
    run(client, container.create()).expect("a new container is created");
    Some(container)
}

fn client(driver: Driver) -> TestClient {
    TestClient::new(driver, Options::new())
}

both_drivers!(create_container_twice_is_resource_exists, |driver| {
    let client = client(driver);
    let Some(azurite) = azurite() else { return };
    let service = BlobService::new(azurite.blob, Auth::SharedKey(Account::devstoreaccount1()));
    let container = service.container(&unique("c"));

    let created = run(&client, container.create()).unwrap();
    assert!(
        created.etag.as_str().starts_with("\"0x"),
        "{:?}",
        created.etag
    );
    assert!(created.request_id.is_some());

    let err = run(&client, container.create()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExists);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(err.error_code(), Some("ContainerAlreadyExists"));
    assert!(
        err.to_string()
            .contains("\nMessage: The specified container already exists."),
        "{err}"
    );
    assert!(err.request_id().is_some(), "x-ms-request-id is kept");
    assert!(err.to_string().contains("ContainerAlreadyExists"), "{err}");
    run(&client, container.delete()).unwrap();
});

both_drivers!(upload_then_read_back_with_the_same_etag, |driver| {
    let client = client(driver);
    let Some(container) = fresh_container(&client) else {
        return;
    };
    let blob = container.blob("hello world.txt");

    let uploaded = run(&client, blob.upload("hello, azurite!")).unwrap();
    let downloaded = run(&client, blob.download()).unwrap();
    assert_eq!(&downloaded.content[..], b"hello, azurite!");
    assert_eq!(downloaded.properties.etag, uploaded.etag);
    assert_eq!(downloaded.properties.content_length, Some(15));
    let head = run(&client, blob.properties()).unwrap();
    assert_eq!(head.etag, uploaded.etag);
    assert!(head.last_modified.is_some());
});

both_drivers!(
    a_stale_etag_is_resource_modified_and_changes_nothing,
    |driver| {
        let client = client(driver);
        let Some(container) = fresh_container(&client) else {
            return;
        };
        let blob = container.blob("doc.txt");
        let first = run(&client, blob.upload("v1")).unwrap();
        let second = run(
            &client,
            blob.upload("v2").when(
                &Conditional::new(MatchConditions::IfNotModified, Some(&first.etag)).unwrap(),
            ),
        )
        .unwrap();
        assert_ne!(first.etag, second.etag);

        let stale = Conditional::new(MatchConditions::IfNotModified, Some(&first.etag)).unwrap();
        let err = run(&client, blob.upload("v3").when(&stale)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceModified);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(412));
        assert_eq!(err.error_code(), Some("ConditionNotMet"));

        let now = run(&client, blob.download()).unwrap();
        assert_eq!(&now.content[..], b"v2");
        assert_eq!(now.properties.etag, second.etag);
    }
);

both_drivers!(if_none_match_the_current_etag_is_not_modified, |driver| {
    let client = client(driver);
    let Some(container) = fresh_container(&client) else {
        return;
    };
    let blob = container.blob("cached.txt");
    let uploaded = run(&client, blob.upload("cache me")).unwrap();

    let current = Conditional::new(MatchConditions::IfModified, Some(&uploaded.etag)).unwrap();
    let err = run(&client, blob.download().when(&current)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotModified);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(304));
    // A 304 has no body: the code comes from `x-ms-error-code` alone.
    assert_eq!(err.error_code(), Some("ConditionNotMet"));

    let changed =
        Conditional::new(MatchConditions::IfModified, Some(&ETag::new("\"0x1\""))).unwrap();
    let fresh = run(&client, blob.download().when(&changed)).unwrap();
    assert_eq!(&fresh.content[..], b"cache me");
});

both_drivers!(
    if_none_match_star_on_an_existing_blob_is_resource_exists,
    |driver| {
        let client = client(driver);
        let Some(container) = fresh_container(&client) else {
            return;
        };
        let blob = container.blob("once.txt");
        let only_new = Conditional::new(MatchConditions::IfMissing, None).unwrap();
        run(&client, blob.upload("first").when(&only_new)).unwrap();

        let err = run(&client, blob.upload("second").when(&only_new)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceExists);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
        assert_eq!(err.error_code(), Some("BlobAlreadyExists"));
        assert_eq!(
            &run(&client, blob.download()).unwrap().content[..],
            b"first"
        );
    }
);

both_drivers!(a_missing_blob_is_not_found_with_the_xml_parsed, |driver| {
    let client = client(driver);
    let Some(container) = fresh_container(&client) else {
        return;
    };
    let err = run(&client, container.blob("nothing-here").download()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.error_code(), Some("BlobNotFound"));
    // From the XML body: `<Message>` (Azurite appends its request id and time on new lines).
    let Some(clientcore::ServiceError::Storage(storage)) = err.service_error() else {
        panic!("the XML body is parsed: {err:?}");
    };
    assert_eq!(storage.code(), Some("BlobNotFound"));
    assert!(storage
        .message()
        .is_some_and(|m| m.starts_with("The specified blob does not exist.")));
    let shown = err.to_string();
    assert!(shown.contains("BlobNotFound"), "{shown}");
    assert!(
        shown.contains("The specified blob does not exist."),
        "{shown}"
    );
});

both_drivers!(
    a_head_on_a_missing_blob_takes_the_code_from_the_header,
    |driver| {
        let client = client(driver);
        let Some(container) = fresh_container(&client) else {
            return;
        };
        let err = run(&client, container.blob("nothing-here").properties()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
        assert_eq!(err.error_code(), Some("BlobNotFound"));
        assert!(
            err.service_error().is_none(),
            "a HEAD answer has no body to parse"
        );
    }
);

both_drivers!(list_blobs_pages_with_maxresults_and_marker, |driver| {
    let client = client(driver);
    let Some(container) = fresh_container(&client) else {
        return;
    };
    let mut names: Vec<String> = (0..7).map(|i| format!("blob-{i}.txt")).collect();
    for name in &names {
        run(&client, container.blob(name).upload(name.clone())).unwrap();
    }
    names.sort();

    // What went on the wire, page after page.
    let sent = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sent);
    let (first, options) = container.list_blobs(Some(3));
    let options = options.with_request_hook(move |r| {
        seen.lock().unwrap().push(r.parts.url.clone());
    });
    let pages: Vec<Vec<BlobItem>> = match driver {
        Driver::Async => client.block_on(
            Pager::<BlobItem>::new(client.async_client(), first, blob::listing(), &options)
                .with_decoder(blob::decode_listing)
                .into_pages()
                .map_ok(|page| page.items)
                .try_collect(),
        ),
        Driver::Blocking => BlockingPager::<BlobItem>::new(
            client.blocking_client(),
            first,
            blob::listing(),
            &options,
        )
        .with_decoder(blob::decode_listing)
        .pages()
        .map(|page| page.map(|p| p.items))
        .collect(),
    }
    .unwrap();

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let listed: Vec<String> = pages.into_iter().flatten().map(|b| b.name).collect();
    assert_eq!(listed, names);

    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 3);
    let query = |i: usize, key: &str| {
        sent[i]
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(query(0, "maxresults").as_deref(), Some("3"));
    assert_eq!(query(0, "marker"), None);
    for i in 1..3 {
        assert_eq!(query(i, "maxresults").as_deref(), Some("3"));
        assert!(
            query(i, "marker").is_some_and(|m| !m.is_empty()),
            "{}",
            sent[i]
        );
    }
});

both_drivers!(
    an_account_sas_authenticates_and_a_forged_one_is_refused,
    |driver| {
        let client = client(driver);
        let Some(azurite) = azurite() else { return };
        let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1());
        let service = BlobService::new(azurite.blob.clone(), Auth::Sas(sas.clone()));
        let container = service.container(&unique("sas"));
        run(&client, container.create()).unwrap();
        run(&client, container.blob("b.txt").upload("by sas")).unwrap();
        let got = run(&client, container.blob("b.txt").download()).unwrap();
        assert_eq!(&got.content[..], b"by sas");

        // Signed by a key that is not the account's.
        let forged = AccountSas::new("2099-12-31T23:59:59Z")
            .sign(&Account::new("devstoreaccount1", "bm90IHRoZSBrZXk=").unwrap());
        let refused = BlobService::new(azurite.blob, Auth::Sas(forged));
        let err = run(&client, refused.container(&unique("sas")).create()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
        assert_eq!(err.error_code(), Some("AuthorizationFailure"));
        // The signature is redacted wherever the URL is shown.
        assert!(!err.to_string().contains(sas.split("sig=").nth(1).unwrap()));
    }
);

both_drivers!(
    shared_key_signs_every_attempt_the_pipeline_sends,
    |driver| {
        // The pipeline's own x-ms-client-request-id is an x-ms- header, so it must be signed:
        // Azurite accepting the request proves the policy runs after the pipeline adds it.
        let client = client(driver);
        let Some(container) = fresh_container(&client) else {
            return;
        };
        let blob = container.blob("id.txt");
        let op = blob
            .upload("x")
            .options(|o| o.with_request_id("11111111-2222-4333-8444-555555555555"));
        run(&client, op).unwrap();
    }
);
