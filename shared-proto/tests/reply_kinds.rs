//! The reply-kind check (issue 23, case 5): for every request kind, the replies that answer it are
//! accepted and every other kind is refused with a typed error naming both kinds.

use shared_proto::*;

fn draft() -> Draft {
    Draft {
        title: "t".into(),
        body: "b".into(),
    }
}

fn item() -> Item {
    Item {
        id: ItemId(1),
        title: "t".into(),
        body: "b".into(),
        revision: 1,
    }
}

/// One request of `kind`; `None` for `send_file`, whose bytes (a `messenger::JsBytes`) exist
/// only in a browser: it is checked by its kind ([`check_reply_to`]).
fn request(kind: RequestKind) -> Option<EosRequest> {
    Some(match kind {
        RequestKind::Introduce => EosRequest::Introduce {
            app: "Eos".into(),
            protocol_version: PROTOCOL_VERSION,
            greeting: "hi".into(),
        },
        RequestKind::ListItems => EosRequest::ListItems {},
        RequestKind::GetItem => EosRequest::GetItem { id: ItemId(1) },
        RequestKind::CreateItem => EosRequest::CreateItem { draft: draft() },
        RequestKind::UpdateItem => EosRequest::UpdateItem {
            id: ItemId(1),
            revision: 1,
            draft: draft(),
        },
        RequestKind::DeleteItem => EosRequest::DeleteItem {
            id: ItemId(1),
            revision: 1,
        },
        RequestKind::Poll => EosRequest::Poll {},
        RequestKind::SendFile => return None,
    })
}

/// One reply of `kind`.
fn reply(kind: ReplyKind) -> PhosphorescenceReply {
    match kind {
        ReplyKind::Welcome => PhosphorescenceReply::Welcome {
            host: "Phosphorescence".into(),
            protocol_version: PROTOCOL_VERSION,
            greeting: "hello".into(),
            offers: vec![Capability::Read],
        },
        ReplyKind::Items => PhosphorescenceReply::Items { items: vec![] },
        ReplyKind::Item => PhosphorescenceReply::Item { item: item() },
        ReplyKind::Deleted => PhosphorescenceReply::Deleted { id: ItemId(1) },
        ReplyKind::Polled => PhosphorescenceReply::Polled { question: None },
        ReplyKind::FileKept => PhosphorescenceReply::FileKept {
            name: "a.png".into(),
            size: 3,
        },
        ReplyKind::Failed => PhosphorescenceReply::Failed {
            failure: Failure::NotFound { id: ItemId(1) },
        },
    }
}

#[test]
fn lifecycle_kinds_match_the_wire_tags() {
    for kind in RequestKind::ALL {
        let Some(request) = request(kind) else { continue };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["kind"], kind.name(), "{kind:?}");
        assert_eq!(request.kind(), kind);
    }
    for kind in ReplyKind::ALL {
        let json = serde_json::to_value(reply(kind)).unwrap();
        assert_eq!(json["kind"], kind.name(), "{kind:?}");
        assert_eq!(reply(kind).kind(), kind);
    }
}

/// The table both apps rely on, written out once more by hand: a change to it is a protocol change.
#[test]
fn lifecycle_each_request_kind_is_answered_by_its_own_reply_or_a_failure() {
    use ReplyKind::*;
    let table = [
        (RequestKind::Introduce, Welcome),
        (RequestKind::ListItems, Items),
        (RequestKind::GetItem, Item),
        (RequestKind::CreateItem, Item),
        (RequestKind::UpdateItem, Item),
        (RequestKind::DeleteItem, Deleted),
        (RequestKind::Poll, Polled),
        (RequestKind::SendFile, FileKept),
    ];
    for (asked, own) in table {
        assert_eq!(asked.answered_by(), [own, Failed], "{asked}");
    }
}

#[test]
fn lifecycle_every_wrong_reply_kind_is_refused_for_every_request_kind() {
    let mut refused = 0;
    for asked in RequestKind::ALL {
        for answered in ReplyKind::ALL {
            for channel in [false, true] {
                let outcome = check_reply_to(asked, &reply(answered), channel);
                if let Some(request) = request(asked) {
                    assert_eq!(check_reply(&request, &reply(answered), channel), outcome);
                }
                if asked.answered_by().contains(&answered) {
                    assert_eq!(outcome, Ok(()), "{answered} answers {asked} (channel: {channel})");
                } else {
                    let wrong = WrongReply::Kind {
                        request: asked,
                        reply: answered,
                    };
                    assert_eq!(outcome, Err(wrong), "{answered} to {asked}");
                    // The words name both kinds, for the page that shows them.
                    let words = wrong.to_string();
                    assert!(
                        words.contains(&format!("reply of kind “{answered}” to “{asked}”")),
                        "{words}"
                    );
                    refused += 1;
                }
            }
        }
    }
    // 8 requests × 5 wrong kinds of 7, with and without a channel.
    assert_eq!(refused, 8 * 5 * 2);
}

#[test]
fn lifecycle_the_issues_case_is_refused_in_words_naming_both_kinds() {
    // The host answered `introduce` with `items` and an interrupt port.
    let outcome = check_reply_to(RequestKind::Introduce, &reply(ReplyKind::Items), true);
    let wrong = outcome.unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "a reply of kind “items” to “introduce”, which only “welcome” or “failed” answers"
    );
}

#[test]
fn lifecycle_a_question_needs_its_answer_channel() {
    let question = PhosphorescenceReply::Polled {
        question: Some(Question {
            id: 1,
            prompt: "Which?".into(),
        }),
    };
    let poll = request(RequestKind::Poll).unwrap();
    assert_eq!(check_reply(&poll, &question, true), Ok(()));
    assert_eq!(
        check_reply(&poll, &question, false),
        Err(WrongReply::QuestionWithoutChannel)
    );
    // A poll answered without a question needs no channel, and may bring a new action channel.
    let quiet = reply(ReplyKind::Polled);
    assert_eq!(check_reply(&poll, &quiet, false), Ok(()));
    assert_eq!(check_reply(&poll, &quiet, true), Ok(()));
}

#[test]
fn lifecycle_an_answer_must_name_the_question_of_its_channel() {
    let chose = EosAnswer::Chose {
        question: 4,
        id: ItemId(2),
    };
    let declined = EosAnswer::Declined { question: 4 };
    assert_eq!(check_answer(4, &chose), Ok(()));
    assert_eq!(check_answer(4, &declined), Ok(()));
    let wrong = check_answer(5, &chose).unwrap_err();
    assert_eq!(wrong, WrongAnswer { asked: 5, answered: 4 });
    assert_eq!(
        wrong.to_string(),
        "an answer to question 4 on the channel of question 5"
    );
    assert_eq!(check_answer(3, &declined), Err(WrongAnswer { asked: 3, answered: 4 }));
}
