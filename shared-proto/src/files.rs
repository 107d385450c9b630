//! Files Eos sends the host ([`crate::EosRequest::SendFile`]): the bytes stay in JavaScript all
//! the way ([`messenger::JsBytes`]: read from the picked file, transferred, made into the host's
//! `Blob`), and both apps say the size limit in the same words.

use std::fmt;

use messenger::JsBytes;
use serde::{Deserialize, Serialize};

/// Most bytes of one file the host takes: 8 MiB, a size a photo from a phone passes. It is the
/// host's `Limits::max_binary_bytes`, so a larger file is refused by the host's messenger from
/// its `byteLength`, before a byte of it is read ([`messenger::Error::BinaryTooLarge`]); Eos says
/// it before the user picks a file ([`limit_words`]) and refuses a larger one before sending.
pub const MAX_FILE_BYTES: usize = 8 << 20;
/// Longest accepted file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// Longest accepted MIME type, in characters.
pub const MAX_FILE_TYPE_CHARS: usize = 127;

/// A file Eos sends the host: its name, MIME type (empty when the browser did not know it) and
/// bytes, kept in JavaScript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileUpload {
    /// The file's name, without a path.
    pub name: String,
    /// Its MIME type (`image/png`), as the browser gave it; may be empty.
    pub mime: String,
    /// Its bytes: a transferred buffer, never copied into wasm.
    pub bytes: JsBytes,
}

impl FileUpload {
    /// What the file is, without its bytes.
    pub fn info(&self) -> FileInfo {
        FileInfo {
            name: self.name.clone(),
            mime: self.mime.clone(),
            size: self.bytes.len(),
        }
    }
}

/// A file without its bytes: what the apps' state keeps and the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The file's name.
    pub name: String,
    /// Its MIME type; may be empty.
    pub mime: String,
    /// Its size in bytes.
    pub size: usize,
}

impl FileInfo {
    /// Checks the name and type; the host runs this on every file, Eos before sending. The size
    /// is the messenger's to judge (see [`MAX_FILE_BYTES`]).
    pub fn validate(&self) -> Result<(), FileFault> {
        if self.name.trim().is_empty() {
            return Err(FileFault::EmptyName {});
        }
        if self.name.chars().count() > MAX_FILE_NAME_CHARS {
            return Err(FileFault::NameTooLong {
                max: MAX_FILE_NAME_CHARS,
            });
        }
        if self.mime.chars().count() > MAX_FILE_TYPE_CHARS {
            return Err(FileFault::TypeTooLong {
                max: MAX_FILE_TYPE_CHARS,
            });
        }
        Ok(())
    }

    /// Whether the host shows it as a picture: a raster image type every engine draws in an
    /// `<img>` (SVG is left out: it is a document, shown as a download like any other file).
    pub fn is_image(&self) -> bool {
        matches!(
            self.mime.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/bmp" | "image/avif"
        )
    }

    /// Whether it passes [`MAX_FILE_BYTES`]: Eos then does not send it and says
    /// [`too_large_words`].
    pub fn too_large(&self) -> bool {
        self.size > MAX_FILE_BYTES
    }
}

impl fmt::Display for FileInfo {
    /// `“name” (type, size)`, as both apps show a file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mime = if self.mime.is_empty() {
            "unknown type"
        } else {
            &self.mime
        };
        write!(f, "“{}” ({mime}, {})", self.name, size_words(self.size))
    }
}

/// Why the host refused a file's name or type ([`crate::Failure::InvalidFile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum FileFault {
    /// The name is empty or only white space.
    EmptyName {},
    /// The name is longer than `max` characters.
    NameTooLong {
        /// The limit.
        max: usize,
    },
    /// The MIME type is longer than `max` characters.
    TypeTooLong {
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for FileFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileFault::EmptyName {} => f.write_str("the file has no name"),
            FileFault::NameTooLong { max } => write!(f, "the file name is longer than {max} characters"),
            FileFault::TypeTooLong { max } => write!(f, "the file type is longer than {max} characters"),
        }
    }
}

/// `bytes` as a person reads a size: `512 bytes`, `12.5 KiB`, `8 MiB`, `9.1 MiB` (one decimal,
/// left out when it is 0).
pub fn size_words(bytes: usize) -> String {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    let (unit, name) = match bytes {
        0..KIB => return format!("{bytes} bytes"),
        KIB..MIB => (KIB, "KiB"),
        _ => (MIB, "MiB"),
    };
    // Tenths, rounded down (8 MiB and a few bytes reads as 8 MiB; Eos compares exact sizes).
    let tenths = bytes as u128 * 10 / unit as u128;
    match tenths % 10 {
        0 => format!("{} {name}", tenths / 10),
        rest => format!("{}.{rest} {name}", tenths / 10),
    }
}

/// The size limit in plain words, as Eos shows it beside its file picker.
///
/// ```
/// assert_eq!(shared_proto::limit_words(), "The host takes files up to 8 MiB.");
/// ```
pub fn limit_words() -> String {
    format!("The host takes files up to {}.", size_words(MAX_FILE_BYTES))
}

/// Why Eos does not send `file`, which passes [`MAX_FILE_BYTES`], in plain words.
pub fn too_large_words(file: &FileInfo) -> String {
    format!(
        "{file} is too large: the host takes files up to {}. It was not sent.",
        size_words(MAX_FILE_BYTES)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, mime: &str, size: usize) -> FileInfo {
        FileInfo {
            name: name.into(),
            mime: mime.into(),
            size,
        }
    }

    #[test]
    fn binary_sizes_read_as_a_person_reads_them() {
        assert_eq!(size_words(0), "0 bytes");
        assert_eq!(size_words(1023), "1023 bytes");
        assert_eq!(size_words(1024), "1 KiB");
        assert_eq!(size_words(12_800), "12.5 KiB");
        assert_eq!(size_words(MAX_FILE_BYTES), "8 MiB");
        assert_eq!(size_words(MAX_FILE_BYTES + 1), "8 MiB");
        assert_eq!(size_words(9 << 20), "9 MiB");
        assert_eq!(size_words((9 << 20) + (1 << 19)), "9.5 MiB");
    }

    #[test]
    fn binary_limit_and_refusal_name_the_limit() {
        assert_eq!(limit_words(), "The host takes files up to 8 MiB.");
        let big = info("holiday.mov", "video/quicktime", 9 << 20);
        assert!(big.too_large());
        assert!(!info("a.png", "image/png", MAX_FILE_BYTES).too_large());
        assert_eq!(
            too_large_words(&big),
            "“holiday.mov” (video/quicktime, 9 MiB) is too large: the host takes files up to 8 MiB. It was not sent."
        );
    }

    #[test]
    fn binary_file_names_and_types_are_checked() {
        assert_eq!(info("a.png", "image/png", 3).validate(), Ok(()));
        assert_eq!(info("  ", "", 3).validate(), Err(FileFault::EmptyName {}));
        let long = "n".repeat(MAX_FILE_NAME_CHARS + 1);
        assert_eq!(
            info(&long, "", 3).validate(),
            Err(FileFault::NameTooLong {
                max: MAX_FILE_NAME_CHARS
            })
        );
        let mime = "t".repeat(MAX_FILE_TYPE_CHARS + 1);
        assert_eq!(
            info("a", &mime, 3).validate(),
            Err(FileFault::TypeTooLong {
                max: MAX_FILE_TYPE_CHARS
            })
        );
        assert_eq!(info("a", "", 2048).to_string(), "“a” (unknown type, 2 KiB)");
    }

    #[test]
    fn binary_only_raster_images_are_shown_as_pictures() {
        assert!(info("a.png", "image/png", 1).is_image());
        assert!(info("a.jpg", "image/jpeg", 1).is_image());
        assert!(!info("a.svg", "image/svg+xml", 1).is_image());
        assert!(!info("a.txt", "text/plain", 1).is_image());
    }

    #[test]
    fn binary_a_file_fault_has_a_pinned_json_shape() {
        let json = serde_json::to_string(&FileFault::NameTooLong { max: 255 }).unwrap();
        assert_eq!(json, r#"{"fault":"name_too_long","max":255}"#);
        let back: FileFault = serde_json::from_str(r#"{"fault":"empty_name"}"#).unwrap();
        assert_eq!(back, FileFault::EmptyName {});
    }
}
