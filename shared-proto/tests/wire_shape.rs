//! Pins the JSON-visible shape of every message: a rename that would break a deployed peer
//! breaks a test here first.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use shared_proto::*;

fn item() -> Item {
    Item {
        id: ItemId(7),
        title: "Groceries".into(),
        body: "eggs".into(),
        revision: 3,
    }
}

/// Serialises to exactly `expected` and decodes back to the same value.
fn pinned<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: T, expected: Value) {
    assert_eq!(serde_json::to_value(&value).unwrap(), expected, "shape of {value:?}");
    let back: T = serde_json::from_value(expected).unwrap();
    assert_eq!(back, value);
}

#[test]
fn requests_have_pinned_shapes() {
    pinned(
        EosRequest::Introduce {
            app: "Eos".into(),
            protocol_version: 1,
            greeting: "hi".into(),
        },
        json!({"kind": "introduce", "app": "Eos", "protocol_version": 1, "greeting": "hi"}),
    );
    pinned(EosRequest::ListItems {}, json!({"kind": "list_items"}));
    pinned(
        EosRequest::GetItem { id: ItemId(7) },
        json!({"kind": "get_item", "id": 7}),
    );
    pinned(
        EosRequest::CreateItem {
            draft: Draft {
                title: "t".into(),
                body: "b".into(),
            },
        },
        json!({"kind": "create_item", "draft": {"title": "t", "body": "b"}}),
    );
    pinned(
        EosRequest::UpdateItem {
            id: ItemId(7),
            revision: 3,
            draft: Draft {
                title: "t".into(),
                body: "".into(),
            },
        },
        json!({"kind": "update_item", "id": 7, "revision": 3, "draft": {"title": "t", "body": ""}}),
    );
    pinned(
        EosRequest::DeleteItem {
            id: ItemId(7),
            revision: 3,
        },
        json!({"kind": "delete_item", "id": 7, "revision": 3}),
    );
    pinned(EosRequest::Poll {}, json!({"kind": "poll"}));
}

#[test]
fn replies_have_pinned_shapes() {
    pinned(
        PhosphorescenceReply::Welcome {
            host: "Phosphorescence".into(),
            protocol_version: 1,
            greeting: "hello".into(),
            offers: vec![
                Capability::Read,
                Capability::Write,
                Capability::Actions,
                Capability::Questions,
            ],
        },
        json!({"kind": "welcome", "host": "Phosphorescence", "protocol_version": 1, "greeting": "hello",
               "offers": ["read", "write", "actions", "questions"]}),
    );
    pinned(
        PhosphorescenceReply::Items {
            items: vec![ItemSummary::from(&item())],
        },
        json!({"kind": "items", "items": [{"id": 7, "title": "Groceries", "revision": 3}]}),
    );
    pinned(
        PhosphorescenceReply::Item { item: item() },
        json!({"kind": "item", "item": {"id": 7, "title": "Groceries", "body": "eggs", "revision": 3}}),
    );
    pinned(
        PhosphorescenceReply::Deleted { id: ItemId(7) },
        json!({"kind": "deleted", "id": 7}),
    );
    pinned(
        PhosphorescenceReply::Polled {
            question: Some(Question {
                id: 2,
                prompt: "Pick".into(),
            }),
        },
        json!({"kind": "polled", "question": {"id": 2, "prompt": "Pick"}}),
    );
    pinned(
        PhosphorescenceReply::Polled { question: None },
        json!({"kind": "polled", "question": null}),
    );
    pinned(
        PhosphorescenceReply::FileKept {
            name: "sky.png".into(),
            size: 2048,
        },
        json!({"kind": "file_kept", "name": "sky.png", "size": 2048}),
    );
}

#[test]
fn failures_have_pinned_shapes() {
    let failed = |failure| PhosphorescenceReply::Failed { failure };
    pinned(
        failed(Failure::NotFound { id: ItemId(9) }),
        json!({"kind": "failed", "failure": {"reason": "not_found", "id": 9}}),
    );
    pinned(
        failed(Failure::Invalid {
            errors: vec![
                FieldError {
                    field: Field::Title,
                    problem: Problem::Empty,
                },
                FieldError {
                    field: Field::Body,
                    problem: Problem::TooLong { max: 2000 },
                },
            ],
        }),
        json!({"kind": "failed", "failure": {"reason": "invalid", "errors": [
            {"field": "title", "problem": {"problem": "empty"}},
            {"field": "body", "problem": {"problem": "too_long", "max": 2000}}]}}),
    );
    pinned(
        failed(Failure::Stale { current: item() }),
        json!({"kind": "failed", "failure": {"reason": "stale", "current":
            {"id": 7, "title": "Groceries", "body": "eggs", "revision": 3}}}),
    );
    pinned(
        failed(Failure::VersionMismatch { host: 1, eos: 2 }),
        json!({"kind": "failed", "failure": {"reason": "version_mismatch", "host": 1, "eos": 2}}),
    );
    pinned(
        failed(Failure::NotIntroduced {}),
        json!({"kind": "failed", "failure": {"reason": "not_introduced"}}),
    );
    pinned(
        failed(Failure::StorageFull {}),
        json!({"kind": "failed", "failure": {"reason": "storage_full"}}),
    );
    pinned(
        failed(Failure::TooManyNotes { limit: 200 }),
        json!({"kind": "failed", "failure": {"reason": "too_many_notes", "limit": 200}}),
    );
    pinned(
        failed(Failure::TooMuchText { limit: 524_288 }),
        json!({"kind": "failed", "failure": {"reason": "too_much_text", "limit": 524288}}),
    );
    pinned(
        failed(Failure::InvalidFile {
            fault: FileFault::EmptyName {},
        }),
        json!({"kind": "failed", "failure": {"reason": "invalid_file", "fault": {"fault": "empty_name"}}}),
    );
}

#[test]
fn failures_read_as_words() {
    assert_eq!(
        Failure::StorageFull {}.to_string(),
        "the host's storage is full: the note was not saved"
    );
    assert_eq!(
        Failure::TooManyNotes { limit: 200 }.to_string(),
        "the host keeps at most 200 notes: delete one to make room"
    );
    assert_eq!(
        Failure::TooMuchText { limit: 524_288 }.to_string(),
        "the host keeps at most 524288 bytes of note text: shorten or delete a note to make room"
    );
    assert_eq!(
        Failure::InvalidFile {
            fault: FileFault::NameTooLong { max: 255 }
        }
        .to_string(),
        "file refused: the file name is longer than 255 characters"
    );
}

#[test]
fn interrupts_have_pinned_shapes() {
    pinned(
        EosInterrupt::Share { id: ItemId(1) },
        json!({"action": "share", "id": 1}),
    );
    pinned(EosInterrupt::Pin { id: ItemId(1) }, json!({"action": "pin", "id": 1}));
    pinned(EosInterrupt::AskForAttention {}, json!({"action": "ask_for_attention"}));
    pinned(
        EosAnswer::Chose {
            question: 2,
            id: ItemId(1),
        },
        json!({"answer": "chose", "question": 2, "id": 1}),
    );
    pinned(
        EosAnswer::Declined { question: 2 },
        json!({"answer": "declined", "question": 2}),
    );
}

#[test]
fn unknown_fields_are_refused() {
    for bad in [
        json!({"kind": "list_items", "extra": 1}),
        json!({"kind": "get_item", "id": 7, "admin": true}),
        json!({"kind": "create_item", "draft": {"title": "t", "body": "b", "owner": "x"}}),
        json!({"kind": "nonsense"}),
    ] {
        assert!(
            serde_json::from_value::<EosRequest>(bad.clone()).is_err(),
            "{bad} was accepted"
        );
    }
    assert!(serde_json::from_value::<EosInterrupt>(json!({"action": "pin", "id": 1, "x": 0})).is_err());
    // A data-less failure is a struct variant, so it too refuses what it does not know.
    assert!(serde_json::from_value::<Failure>(json!({"reason": "storage_full", "quota": 5})).is_err());
}

#[test]
fn drafts_are_validated() {
    let draft = |title: &str, body: &str| Draft {
        title: title.into(),
        body: body.into(),
    };
    assert_eq!(draft("Groceries", "eggs").validate(), Ok(()));
    assert_eq!(
        draft("   ", "").validate(),
        Err(vec![FieldError {
            field: Field::Title,
            problem: Problem::Empty
        }])
    );
    let long_title = "é".repeat(MAX_TITLE_CHARS + 1);
    let long_body = "x".repeat(MAX_BODY_CHARS + 1);
    assert_eq!(
        draft(&long_title, &long_body).validate(),
        Err(vec![
            FieldError {
                field: Field::Title,
                problem: Problem::TooLong { max: MAX_TITLE_CHARS }
            },
            FieldError {
                field: Field::Body,
                problem: Problem::TooLong { max: MAX_BODY_CHARS }
            },
        ])
    );
    // Limits count characters, not bytes.
    assert_eq!(draft(&"é".repeat(MAX_TITLE_CHARS), "").validate(), Ok(()));
}

#[test]
fn interrupts_read_as_words() {
    assert_eq!(EosInterrupt::Share { id: ItemId(2) }.to_string(), "share #2");
    assert_eq!(EosInterrupt::Pin { id: ItemId(2) }.to_string(), "pin #2");
    assert_eq!(EosInterrupt::AskForAttention {}.to_string(), "ask for attention");
}
