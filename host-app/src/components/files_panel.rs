use shared_proto::size_words;
use yew::prelude::*;

use crate::blob_url::BlobUrl;
use crate::files::{Shelf, FILES_KEPT};
use crate::peer::Peer;

/// Properties of [`FilesPanel`].
#[derive(Properties, PartialEq)]
pub struct FilesPanelProps {
    /// The files kept.
    pub files: Shelf<BlobUrl>,
    /// Remove file `id` from the page (its `blob:` URL is revoked).
    pub on_remove: Callback<u64>,
}

/// The files Eos sent: a picture as an image, any other file as a row with its name, type and
/// size, the SHA-256 of the bytes received (to compare with the one Eos shows) and a download
/// link; the last [`FILES_KEPT`] are kept.
#[component]
pub fn FilesPanel(props: &FilesPanelProps) -> Html {
    let total = props.files.total();
    html! {
        <div class="panel">
            <h2>{ "Files from Eos " }<small>{ format!("(the last {FILES_KEPT} are kept)") }</small></h2>
            if total == 0 {
                <p class="hint">{ "Nothing yet: send a file from Eos." }</p>
            } else {
                <p id="files-total" class="counts">{ format!("{total} received") }</p>
            }
            <ul id="files">
                { for props.files.files().map(|file| {
                    let id = file.id;
                    let onclick = props.on_remove.reform(move |_: MouseEvent| id);
                    let url = file.url.as_str().to_string();
                    let from = match file.session.peer {
                        Peer::Frame => "iframe",
                        Peer::Window => "window",
                    };
                    let mime = if file.info.mime.is_empty() { "unknown type".to_string() } else { file.info.mime.clone() };
                    html! {
                        <li class="file" data-id={id.to_string()} data-size={file.info.size.to_string()} data-type={file.info.mime.clone()}>
                            if file.info.is_image() {
                                <img class="file-image" src={url.clone()} alt={file.info.name.clone()} />
                            }
                            <span class="file-name">{ &file.info.name }</span>
                            <span class="file-meta">{ format!(" {mime}, {} · session {} · {from} ", size_words(file.info.size), file.session.number) }</span>
                            if let Some(sha256) = &file.sha256 {
                                <span class="file-sha256" data-sha256={sha256.hex().to_string()} title={format!("SHA-256 {}", sha256.hex())}>{ sha256.to_string() }</span>
                                { " " }
                            } else {
                                <span class="file-sha256 pending">{ "SHA-256 …" }</span>
                                { " " }
                            }
                            <a class="file-download" href={url} download={file.info.name.clone()}>{ "download" }</a>
                            { " " }
                            <button class="remove-file" {onclick}>{ "remove" }</button>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
