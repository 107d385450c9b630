// Starts the app from a file of its own. Trunk would start it from an inline <script>, which this
// page's Content-Security-Policy refuses (script-src 'self' 'wasm-unsafe-eval': no inline script,
// no nonce, no hash). Trunk.toml's `pattern_script` puts this file's <script> in the page, with the
// app's hashed JavaScript and wasm file names in its data attributes.
const { js, wasm } = document.querySelector("script[data-js][data-wasm]").dataset;
const { default: init } = await import(js);
await init({ module_or_path: wasm });
