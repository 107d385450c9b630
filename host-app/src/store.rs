//! The user's notes, owned by the host: the pure request handling behind the handler loop.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_proto::{Draft, Failure, Item, ItemId, ItemSummary, PhosphorescenceReply};

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

    /// Creates a note from a valid draft.
    pub fn create(&mut self, draft: Draft) -> Result<Item, Failure> {
        draft.validate().map_err(|errors| Failure::Invalid { errors })?;
        Ok(self.insert(draft))
    }

    /// Updates a note that is still at `revision` with a valid draft.
    pub fn update(&mut self, id: ItemId, revision: u32, draft: Draft) -> Result<Item, Failure> {
        self.current(id, revision)?;
        draft.validate().map_err(|errors| Failure::Invalid { errors })?;
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
    fn survives_a_round_trip_through_json() {
        let mut store = Store::default();
        store.create(draft("Persisted")).unwrap();
        // gloo-storage keeps the store as this JSON text in localStorage.
        let back: Store = serde_json::from_str(&serde_json::to_string(&store).unwrap()).unwrap();
        assert_eq!(back, store);
    }
}
