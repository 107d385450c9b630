use std::cell::Cell;
use std::rc::Rc;

use js_sys::Promise;
use messenger::JsBytes;
use shared_proto::{EosRequest, FileInfo};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, CanvasRenderingContext2d, HtmlCanvasElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::state::{EosAction, EosState};

/// The drawing's size in CSS pixels, and so in the PNG's pixels.
pub const SKETCH_WIDTH: u32 = 160;
/// See [`SKETCH_WIDTH`].
pub const SKETCH_HEIGHT: u32 = 90;
/// The name the host shows for a drawing.
const SKETCH_NAME: &str = "drawing.png";

/// Properties of [`Sketch`].
#[derive(Properties, PartialEq)]
pub struct SketchProps {
    /// Whether a file is on its way (one at a time).
    pub sending: bool,
    /// Changes Eos's state.
    pub dispatch: UseReducerDispatcher<EosState>,
    /// Sends a request to the host.
    pub on_request: Callback<EosRequest>,
}

/// The canvas's 2D context.
fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// The canvas as a PNG `Blob`: `toBlob` resolves a promise made here, so no Rust closure is
/// handed to JavaScript.
async fn png_of(canvas: &HtmlCanvasElement) -> Result<Blob, JsValue> {
    let mut asked = Ok(());
    let promise = Promise::new(&mut |resolve, _reject| asked = canvas.to_blob(&resolve));
    asked?;
    // `toBlob` gives null when the canvas cannot be encoded (a zero-sized one).
    JsFuture::from(promise).await?.dyn_into::<Blob>()
}

/// A small canvas to draw on with the pointer, and a button that sends the drawing to the host as
/// a PNG file: the canvas's `Blob` read into an `ArrayBuffer` and transferred, never in wasm.
#[component]
pub fn Sketch(props: &SketchProps) -> Html {
    let canvas = use_node_ref();
    let drawing = use_memo((), |_| Cell::new(false));
    let drawn = use_state(|| false);
    let at = |event: &PointerEvent| (f64::from(event.offset_x()), f64::from(event.offset_y()));

    let on_down = {
        let (canvas, drawing) = (canvas.clone(), Rc::clone(&drawing));
        Callback::from(move |event: PointerEvent| {
            let Some(element) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            // Keeps the stroke's moves coming when the pointer leaves the canvas mid-stroke.
            let _ = element.set_pointer_capture(event.pointer_id());
            if let Some(context) = context(&element) {
                let (x, y) = at(&event);
                context.set_line_width(4.0);
                context.set_line_cap("round");
                context.set_stroke_style_str("#24583b");
                context.begin_path();
                context.move_to(x, y);
                context.line_to(x, y);
                context.stroke();
                drawing.set(true);
            }
        })
    };
    let on_move = {
        let (canvas, drawing, drawn) = (canvas.clone(), Rc::clone(&drawing), drawn.clone());
        Callback::from(move |event: PointerEvent| {
            if !drawing.get() {
                return;
            }
            if let Some(context) = canvas.cast::<HtmlCanvasElement>().as_ref().and_then(context) {
                let (x, y) = at(&event);
                context.line_to(x, y);
                context.stroke();
                if !*drawn {
                    drawn.set(true);
                }
            }
        })
    };
    let on_up = {
        let drawing = Rc::clone(&drawing);
        Callback::from(move |_: PointerEvent| drawing.set(false))
    };
    let on_clear = {
        let (canvas, drawn) = (canvas.clone(), drawn.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(context) = canvas.cast::<HtmlCanvasElement>().as_ref().and_then(context) {
                context.clear_rect(0.0, 0.0, f64::from(SKETCH_WIDTH), f64::from(SKETCH_HEIGHT));
            }
            drawn.set(false);
        })
    };
    let on_send = {
        let (canvas, dispatch, request) = (canvas.clone(), props.dispatch.clone(), props.on_request.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(element) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let (dispatch, request) = (dispatch.clone(), request.clone());
            spawn_local(async move {
                let png = match png_of(&element).await {
                    Ok(png) => png,
                    Err(error) => {
                        return dispatch.dispatch(EosAction::FileUnreadable(format!("{error:?}")));
                    }
                };
                match JsFuture::from(png.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = JsBytes::from_array_buffer(buffer.unchecked_ref());
                        let info = FileInfo {
                            name: SKETCH_NAME.into(),
                            mime: "image/png".into(),
                            size: bytes.len(),
                        };
                        super::file_sender::send_file(info, bytes, &dispatch, &request).await;
                    }
                    Err(error) => dispatch.dispatch(EosAction::FileUnreadable(format!("{error:?}"))),
                }
            });
        })
    };
    html! {
        <div class="sketch">
            <canvas
                id="sketch"
                ref={canvas}
                width={SKETCH_WIDTH.to_string()}
                height={SKETCH_HEIGHT.to_string()}
                onpointerdown={on_down}
                onpointermove={on_move}
                onpointerup={on_up.clone()}
                onpointercancel={on_up}
            />
            <div class="buttons">
                <button id="send-drawing" onclick={on_send} disabled={!*drawn || props.sending}>{ "Send drawing" }</button>
                <button id="clear-drawing" onclick={on_clear}>{ "Clear" }</button>
            </div>
        </div>
    }
}
