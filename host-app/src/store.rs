//! The user's notes, owned by the host: the pure note operations behind the handler loop.
//!
//! The store changes only in memory; [`crate::handler`] decides when a change is kept (after
//! `localStorage` took it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_proto::{Draft, Failure, Item, ItemId, ItemSummary, PhosphorescenceReply};

/// The most notes the host keeps: a create beyond it is refused with [`Failure::TooManyNotes`].
///
/// With [`MAX_STORE_BYTES`] it bounds what one remote can make the host store (and write to
/// `localStorage`, whose quota is a few megabytes per origin, shared with everything else the
/// host keeps there).
pub const MAX_NOTES: usize = 200;

/// The most bytes of note text (titles and bodies, UTF-8) the host keeps: a create or an edit
/// that would pass it is refused with [`Failure::TooMuchText`]. An edit that does not add text
/// is always accepted, so notes stored before a lower limit can still be shortened.
pub const MAX_STORE_BYTES: usize = 512 * 1024;

fn text_bytes(title: &str, body: &str) -> usize {
    title.len() + body.len()
}

/// The notes and the next id, as kept in `localStorage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    items: BTreeMap<ItemId, Item>,
    next_id: u64,
}

impl Default for Store {
    /// A first-run store with two notes, so Eos has something to show.
    fn default() -> Self {
        let mut store = Store {
            items: BTreeMap::new(),
            next_id: 1,
        };
        store.insert(Draft {
            title: "Welcome to Phosphorescence".into(),
            body: "Notes live in the host; Eos edits them through the messenger.".into(),
        });
        store.insert(Draft {
            title: "Groceries".into(),
            body: "eggs, flour, lemons".into(),
        });
        store
    }
}

impl Store {
    fn insert(&mut self, draft: Draft) -> Item {
        let id = ItemId(self.next_id);
        self.next_id += 1;
        let item = Item {
            id,
            title: draft.title,
            body: draft.body,
            revision: 1,
        };
        self.items.insert(id, item.clone());
        item
    }

    /// How many bytes of text (titles and bodies) the notes hold.
    pub fn text_bytes(&self) -> usize {
        self.items
            .values()
            .map(|item| text_bytes(&item.title, &item.body))
            .sum()
    }

    /// Refuses a change that adds text beyond [`MAX_STORE_BYTES`]; `before` and `after` are the
    /// changed note's bytes.
    fn room_for(&self, before: usize, after: usize) -> Result<(), Failure> {
        let total = self.text_bytes() - before + after;
        match after > before && total > MAX_STORE_BYTES {
            true => Err(Failure::TooMuchText { limit: MAX_STORE_BYTES }),
            false => Ok(()),
        }
    }

    /// All notes by id.
    pub fn summaries(&self) -> Vec<ItemSummary> {
        self.items.values().map(ItemSummary::from).collect()
    }

    /// One note.
    pub fn get(&self, id: ItemId) -> Option<&Item> {
        self.items.get(&id)
    }

    fn current(&self, id: ItemId, revision: u32) -> Result<&Item, Failure> {
        let item = self.items.get(&id).ok_or(Failure::NotFound { id })?;
        if item.revision != revision {
            return Err(Failure::Stale { current: item.clone() });
        }
        Ok(item)
    }

    /// Lists the notes.
    pub fn list(&self) -> PhosphorescenceReply {
        PhosphorescenceReply::Items {
            items: self.summaries(),
        }
    }

    /// Reads one note.
    pub fn read(&self, id: ItemId) -> Result<Item, Failure> {
        self.items.get(&id).cloned().ok_or(Failure::NotFound { id })
    }

    /// Creates a note from a valid draft, if there is room for it.
    pub fn create(&mut self, draft: Draft) -> Result<Item, Failure> {
        draft.validate().map_err(|errors| Failure::Invalid { errors })?;
        if self.items.len() >= MAX_NOTES {
            return Err(Failure::TooManyNotes { limit: MAX_NOTES });
        }
        self.room_for(0, text_bytes(&draft.title, &draft.body))?;
        Ok(self.insert(draft))
    }

    /// Updates a note that is still at `revision` with a valid draft, if there is room for it.
    pub fn update(&mut self, id: ItemId, revision: u32, draft: Draft) -> Result<Item, Failure> {
        let current = self.current(id, revision)?;
        let before = text_bytes(&current.title, &current.body);
        draft.validate().map_err(|errors| Failure::Invalid { errors })?;
        self.room_for(before, text_bytes(&draft.title, &draft.body))?;
        let item = self.items.get_mut(&id).ok_or(Failure::NotFound { id })?;
        item.title = draft.title;
        item.body = draft.body;
        item.revision += 1;
        Ok(item.clone())
    }

    /// Deletes a note that is still at `revision`.
    pub fn delete(&mut self, id: ItemId, revision: u32) -> Result<ItemId, Failure> {
        self.current(id, revision)?;
        self.items.remove(&id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(title: &str) -> Draft {
        Draft {
            title: title.into(),
            body: String::new(),
        }
    }

    #[test]
    fn starts_with_sample_notes() {
        let store = Store::default();
        assert_eq!(store.summaries().len(), 2);
        assert_eq!(store.summaries()[1].title, "Groceries");
    }

    #[test]
    fn creates_with_fresh_ids_and_rejects_invalid_drafts() {
        let mut store = Store::default();
        let item = store.create(draft("Plans")).unwrap();
        assert_eq!((item.id, item.revision), (ItemId(3), 1));
        assert!(matches!(store.create(draft("  ")), Err(Failure::Invalid { .. })));
        assert_eq!(store.summaries().len(), 3);
    }

    #[test]
    fn updates_bump_the_revision_and_refuse_stale_ones() {
        let mut store = Store::default();
        let updated = store.update(ItemId(2), 1, draft("Shopping")).unwrap();
        assert_eq!((updated.title.as_str(), updated.revision), ("Shopping", 2));
        match store.update(ItemId(2), 1, draft("Old edit")) {
            Err(Failure::Stale { current }) => assert_eq!(current.revision, 2),
            other => panic!("expected stale, got {other:?}"),
        }
        assert_eq!(
            store.update(ItemId(99), 1, draft("x")),
            Err(Failure::NotFound { id: ItemId(99) })
        );
        assert!(matches!(
            store.update(ItemId(2), 2, draft("")),
            Err(Failure::Invalid { .. })
        ));
        assert_eq!(store.get(ItemId(2)).unwrap().title, "Shopping");
    }

    #[test]
    fn deletes_only_the_current_revision() {
        let mut store = Store::default();
        assert!(matches!(store.delete(ItemId(1), 7), Err(Failure::Stale { .. })));
        assert_eq!(store.delete(ItemId(1), 1), Ok(ItemId(1)));
        assert_eq!(store.read(ItemId(1)), Err(Failure::NotFound { id: ItemId(1) }));
    }

    #[test]
    fn refuses_a_note_beyond_the_most_it_keeps() {
        let mut store = Store::default();
        while store.summaries().len() < MAX_NOTES {
            store.create(draft("more")).unwrap();
        }
        assert_eq!(
            store.create(draft("one too many")),
            Err(Failure::TooManyNotes { limit: MAX_NOTES })
        );
        assert_eq!(store.summaries().len(), MAX_NOTES);
        // Room again after a delete.
        store.delete(ItemId(1), 1).unwrap();
        assert!(store.create(draft("fits")).is_ok());
    }

    #[test]
    fn refuses_text_beyond_the_most_it_keeps_but_lets_notes_shrink() {
        let full = |title: &str| Draft {
            title: title.into(),
            // Two bytes a character: 4,003 bytes a note, so the text fills before the count.
            body: "é".repeat(shared_proto::MAX_BODY_CHARS),
        };
        let mut store = Store::default();
        let mut last = None;
        loop {
            match store.create(full("big")) {
                Ok(item) => last = Some(item),
                Err(failure) => {
                    assert_eq!(failure, Failure::TooMuchText { limit: MAX_STORE_BYTES });
                    break;
                }
            }
        }
        assert!(store.text_bytes() <= MAX_STORE_BYTES);
        assert!(
            store.text_bytes() + 4003 > MAX_STORE_BYTES,
            "refused only when it would not fit"
        );
        assert!(store.summaries().len() < MAX_NOTES);
        let last = last.unwrap();
        // Growing a note by more than is free (less than one more note's 4,003 bytes) is
        // refused; shrinking it is not.
        let grown = Draft {
            title: "é".repeat(shared_proto::MAX_TITLE_CHARS),
            body: "😀".repeat(shared_proto::MAX_BODY_CHARS),
        };
        assert_eq!(
            store.update(last.id, 1, grown),
            Err(Failure::TooMuchText { limit: MAX_STORE_BYTES })
        );
        let small = store.update(last.id, 1, draft("small")).unwrap();
        assert_eq!(small.revision, 2);
    }

    #[test]
    fn survives_a_round_trip_through_json() {
        let mut store = Store::default();
        store.create(draft("Persisted")).unwrap();
        // gloo-storage keeps the store as this JSON text in localStorage.
        let back: Store = serde_json::from_str(&serde_json::to_string(&store).unwrap()).unwrap();
        assert_eq!(back, store);
    }
}
