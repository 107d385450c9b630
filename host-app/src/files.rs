//! The files Eos sent, as the host keeps them: the last [`FILES_KEPT`], each with the URL the
//! page shows it by. Plain Rust, generic over that URL so that it is tested natively; on the page
//! the URL is a [`crate::blob_url::BlobUrl`], which revokes its `blob:` URL when the last copy of
//! it is dropped, so a file the shelf lets go (pushed out by newer ones, or removed by the user)
//! no longer holds its bytes in the browser.

use std::collections::VecDeque;

use shared_proto::{FileInfo, Sha256};

use crate::peer::SessionId;

/// How many files the host keeps (the oldest go first). Each holds up to
/// [`shared_proto::MAX_FILE_BYTES`] in the browser's memory: 12 × 8 MiB = 96 MiB at most.
pub const FILES_KEPT: usize = 12;

/// One file Eos sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedFile<U> {
    /// Names it on the page (`data-id`); never reused.
    pub id: u64,
    /// The session it came in.
    pub session: SessionId,
    /// Its name, type and size.
    pub info: FileInfo,
    /// The URL of its bytes.
    pub url: U,
    /// The SHA-256 of the bytes received, once the browser computed it (`None` meanwhile).
    pub sha256: Option<Sha256>,
}

/// The last [`FILES_KEPT`] files, newest first, and how many came.
#[derive(Debug, Clone, PartialEq)]
pub struct Shelf<U> {
    files: VecDeque<ReceivedFile<U>>,
    total: u64,
}

impl<U> Default for Shelf<U> {
    fn default() -> Self {
        Shelf {
            files: VecDeque::new(),
            total: 0,
        }
    }
}

impl<U> Shelf<U> {
    /// Keeps a file that came in `session`, dropping the oldest past [`FILES_KEPT`]; returns its
    /// id.
    pub fn keep(&mut self, session: SessionId, info: FileInfo, url: U) -> u64 {
        self.total += 1;
        let id = self.total;
        self.files.push_front(ReceivedFile {
            id,
            session,
            info,
            url,
            sha256: None,
        });
        self.files.truncate(FILES_KEPT);
        id
    }

    /// Lets go of file `id` (the user removed it); nothing when it is gone already.
    pub fn remove(&mut self, id: u64) {
        self.files.retain(|file| file.id != id);
    }

    /// Records the SHA-256 of the file at `url`, computed after it was kept; nothing when the
    /// file is gone already (removed or pushed out while the digest was computed).
    pub fn digested(&mut self, url: &U, sha256: Sha256)
    where
        U: PartialEq,
    {
        if let Some(file) = self.files.iter_mut().find(|file| file.url == *url) {
            file.sha256 = Some(sha256);
        }
    }

    /// The files kept, newest first.
    pub fn files(&self) -> impl Iterator<Item = &ReceivedFile<U>> {
        self.files.iter()
    }

    /// How many files came, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::peer::Peer;

    const SESSION: SessionId = SessionId {
        peer: Peer::Frame,
        number: 1,
    };

    fn info(name: &str) -> FileInfo {
        FileInfo {
            name: name.into(),
            mime: "image/png".into(),
            size: 3,
        }
    }

    #[test]
    fn binary_the_shelf_keeps_the_newest_files_and_lets_the_oldest_go() {
        let mut shelf = Shelf::default();
        // Rc stands in for the blob URL: a file let go drops its URL (which revokes it).
        let urls: Vec<Rc<()>> = (0..FILES_KEPT + 2).map(|_| Rc::new(())).collect();
        for (n, url) in urls.iter().enumerate() {
            assert_eq!(
                shelf.keep(SESSION, info(&format!("f{n}")), Rc::clone(url)),
                n as u64 + 1
            );
        }
        assert_eq!(shelf.total(), FILES_KEPT as u64 + 2);
        let names: Vec<&str> = shelf.files().map(|f| f.info.name.as_str()).collect();
        assert_eq!(names.len(), FILES_KEPT);
        assert_eq!(names[0], format!("f{}", FILES_KEPT + 1));
        assert_eq!(names[FILES_KEPT - 1], "f2");
        // The two oldest are let go: only the test holds their URLs now.
        assert_eq!(Rc::strong_count(&urls[0]), 1);
        assert_eq!(Rc::strong_count(&urls[1]), 1);
        assert_eq!(Rc::strong_count(&urls[2]), 2);
    }

    #[test]
    fn binary_a_removed_file_lets_go_of_its_url() {
        let mut shelf = Shelf::default();
        let url = Rc::new(());
        let first = shelf.keep(SESSION, info("a"), Rc::clone(&url));
        let second = shelf.keep(SESSION, info("b"), Rc::new(()));
        shelf.remove(first);
        assert_eq!(Rc::strong_count(&url), 1);
        assert_eq!(shelf.files().map(|f| f.id).collect::<Vec<_>>(), [second]);
        // Ids are not reused after a removal.
        assert_eq!(shelf.keep(SESSION, info("c"), Rc::new(())), 3);
        shelf.remove(first);
        assert_eq!(shelf.files().count(), 2);
    }

    #[test]
    fn binary_a_kept_file_gets_its_digest_when_the_browser_computed_it() {
        let mut shelf = Shelf::default();
        let digest = Sha256::from_digest(&[0xab; 32]);
        shelf.keep(SESSION, info("a"), "blob:a");
        shelf.keep(SESSION, info("b"), "blob:b");
        assert!(shelf.files().all(|f| f.sha256.is_none()));
        shelf.digested(&"blob:a", digest.clone());
        let digests: Vec<_> = shelf
            .files()
            .map(|f| (f.info.name.as_str(), f.sha256.clone()))
            .collect();
        assert_eq!(digests, [("b", None), ("a", Some(digest.clone()))]);
        // A digest for a file let go meanwhile changes nothing.
        shelf.remove(1);
        shelf.digested(&"blob:a", digest);
        assert_eq!(shelf.files().map(|f| f.id).collect::<Vec<_>>(), [2]);
        assert!(shelf.files().all(|f| f.sha256.is_none()));
    }
}
