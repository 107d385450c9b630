use messenger::JsBytes;
use shared_proto::{limit_words, EosRequest, FileInfo, FileUpload, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, HtmlInputElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::Sketch;
use crate::config::unchecked_files;
use crate::state::{EosAction, EosState, FileView};

/// Properties of [`FileSender`].
#[derive(Properties, PartialEq)]
pub struct FileSenderProps {
    /// The picked file and the last one's fate.
    pub file: FileView,
    /// Changes Eos's state.
    pub dispatch: UseReducerDispatcher<EosState>,
    /// Sends a request to the host.
    pub on_request: Callback<EosRequest>,
}

/// What the browser knows of `file` without reading it.
fn info_of(file: &web_sys::File) -> FileInfo {
    FileInfo {
        name: file.name(),
        mime: file.type_(),
        // A file's size is a whole number of bytes, below 2^53.
        size: file.size() as usize,
    }
}

/// Sends `bytes` to the host as file `info`. Their SHA-256 is computed first, in the browser:
/// the send transfers the buffer, which leaves nothing here to digest afterwards.
pub(super) async fn send_file(
    info: FileInfo,
    bytes: JsBytes,
    dispatch: &UseReducerDispatcher<EosState>,
    request: &Callback<EosRequest>,
) {
    // Without a digest (no `crypto.subtle`) the file still goes, shown without one.
    let sha256 = Sha256::of(&bytes).await.ok();
    dispatch.dispatch(EosAction::FileSending(info.clone(), sha256));
    request.emit(EosRequest::SendFile {
        file: FileUpload {
            name: info.name,
            mime: info.mime,
            bytes,
        },
    });
}

/// Pick a file (or draw one, [`Sketch`]) and send it to the host: its bytes are read into an `ArrayBuffer` (not into
/// wasm) and that buffer is transferred. A file over the limit is refused here, before it is
/// read, in the words shown beside the picker.
#[component]
pub fn FileSender(props: &FileSenderProps) -> Html {
    let input = use_node_ref();
    // The picked file is a browser object: it stays here, the reducer keeps what it is.
    let picked = use_mut_ref(|| None::<web_sys::File>);
    let on_change = {
        let (picked, dispatch) = (picked.clone(), props.dispatch.clone());
        Callback::from(move |event: Event| {
            let file = event
                .target()
                .and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            dispatch.dispatch(EosAction::FilePicked(file.as_ref().map(info_of)));
            *picked.borrow_mut() = file;
        })
    };
    let on_send = {
        let (picked, input, dispatch, request) = (
            picked.clone(),
            input.clone(),
            props.dispatch.clone(),
            props.on_request.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(file) = picked.borrow_mut().take() else {
                return;
            };
            if let Some(input) = input.cast::<HtmlInputElement>() {
                input.set_value("");
            }
            let (dispatch, request) = (dispatch.clone(), request.clone());
            spawn_local(async move {
                let info = info_of(&file);
                match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = JsBytes::from_array_buffer(buffer.unchecked_ref());
                        send_file(info, bytes, &dispatch, &request).await;
                    }
                    Err(error) => dispatch.dispatch(EosAction::FileUnreadable(
                        error.as_string().unwrap_or_else(|| format!("{error:?}")),
                    )),
                }
            });
        })
    };
    let file = &props.file;
    html! {
        <section id="file-sender" class="file-sender">
            <label for="file-input">{ "Send the host a file or a drawing " }<span id="file-limit" class="meta">{ limit_words() }</span></label>
            <Sketch sending={file.sending} dispatch={props.dispatch.clone()} on_request={props.on_request.clone()} />
            <div class="buttons">
                <input id="file-input" type="file" ref={input} onchange={on_change} />
                <button id="send-file" onclick={on_send} disabled={!file.can_send(unchecked_files())}>{ "Send file" }</button>
            </div>
            if let Some(refused) = &file.refused {
                <p id="file-refused" class="problem">{ refused }</p>
            }
            if let Some(status) = &file.status {
                <p id="file-status" class="notice">{ status }</p>
            }
            if let Some(sha256) = &file.sha256 {
                <p id="file-sha256" class="meta" data-sha256={sha256.hex().to_string()} title={format!("SHA-256 {}", sha256.hex())}>{ format!("Sent: {sha256}") }</p>
            }
        </section>
    }
}
