//! @TITLE@: greets whoever the input names.
//!
//! The input arrives on stdin as one JSON object, already checked against schema.json;
//! the spell writes one JSON value to stdout and exits 0. stderr is a log for the maker.
//! Build: `rustup target add wasm32-wasip1` once, then `spell build`.
use std::io::{self, Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut text = String::new();
    if io::stdin().read_to_string(&mut text).is_err() {
        eprintln!("the input is not UTF-8");
        return ExitCode::FAILURE;
    }
    let input: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => {
            eprintln!("the input is not JSON: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Some(name) = input.get("name").and_then(|name| name.as_str()) else {
        eprintln!("the input has no \"name\" string");
        return ExitCode::FAILURE;
    };
    let output = serde_json::json!({ "greeting": format!("Hello, {name}!") });
    if io::stdout().write_all(output.to_string().as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
