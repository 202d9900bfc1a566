//! Options, the map of optional fields every API area takes, and for each partner call the fields
//! it knows: their names, types, checks and wire form.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::http::form::append_pair;
use crate::validate::{check_plan, check_text};

/// Optional fields of an operation, by name (see each operation for the names it knows).
pub type Options = Map<String, Value>;

/// How an option's value is checked and written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// `true`/`false` (also `1`/`0` and the strings "true", "false", "1", "0"); `true` is sent as the
    /// given text, `false` is not sent.
    Bool { wire_true: &'static str },
    /// A non-negative integer (or a string of digits).
    Count,
    /// A TCP port, 1 to 65535.
    Port,
    /// Text of at most `max` bytes; `multiline` allows CR, LF and TAB.
    Text { max: usize, multiline: bool },
    /// A plan slug.
    Plan,
}

/// Where an option goes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    Body,
    Query,
}

/// One known option.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub name: &'static str,
    pub wire: &'static str,
    pub kind: Kind,
    pub place: Place,
}

pub(crate) const fn body(name: &'static str, kind: Kind) -> Spec {
    Spec {
        name,
        wire: name,
        kind,
        place: Place::Body,
    }
}

/// An option's value as text for the wire; `None` when it is not sent (`null`, or `false`).
fn wire_value(spec: &Spec, value: &Value) -> Result<Option<Zeroizing<String>>, Error> {
    let field = spec.name;
    if value.is_null() {
        return Ok(None);
    }
    let text = match spec.kind {
        Kind::Bool { wire_true } => {
            let on = match value {
                Value::Bool(b) => *b,
                Value::Number(n) if n.as_u64() == Some(1) => true,
                Value::Number(n) if n.as_u64() == Some(0) => false,
                Value::String(s) => match s.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => {
                        return Err(Error::invalid_argument(
                            field,
                            "must be a boolean (true or false)",
                        ))
                    }
                },
                _ => {
                    return Err(Error::invalid_argument(
                        field,
                        "must be a boolean (true or false)",
                    ))
                }
            };
            if !on {
                return Ok(None);
            }
            wire_true.to_string()
        }
        Kind::Count | Kind::Port => {
            let number = match value {
                Value::Number(n) => n.as_u64(),
                Value::String(s)
                    if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    s.parse::<u64>().ok()
                }
                _ => None,
            };
            match (spec.kind, number) {
                (Kind::Port, Some(n)) if (1..=65535).contains(&n) => n.to_string(),
                (Kind::Port, _) => {
                    return Err(Error::invalid_argument(
                        field,
                        "must be a port number between 1 and 65535",
                    ))
                }
                (_, Some(n)) => n.to_string(),
                (_, None) => {
                    return Err(Error::invalid_argument(
                        field,
                        "must be a non-negative integer",
                    ))
                }
            }
        }
        Kind::Text { max, multiline } => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(Error::invalid_argument(field, "must be a string")),
            };
            if text.is_empty() {
                return Err(Error::invalid_argument(
                    field,
                    "must not be empty (leave the option out instead)",
                ));
            }
            check_text(field, &text, max, multiline)?;
            text
        }
        Kind::Plan => {
            let Value::String(s) = value else {
                return Err(Error::invalid_argument(field, "must be a string"));
            };
            check_plan(field, s)?;
            s.clone()
        }
    };
    Ok(Some(Zeroizing::new(text)))
}

/// Checks `options` against `specs` (unknown names refused) and appends each value that is sent to
/// the form body or the query.
pub(crate) fn encode(
    operation: &str,
    specs: &[Spec],
    options: &Options,
    form: &mut Zeroizing<String>,
    query: &mut String,
) -> Result<(), Error> {
    for name in options.keys() {
        if !specs.iter().any(|s| s.name == name) {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
            return Err(Error::invalid_argument(
                &shown,
                format!(
                    "unknown option for {operation} (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    for spec in specs {
        let Some(value) = options.get(spec.name) else {
            continue;
        };
        if let Some(text) = wire_value(spec, value)? {
            match spec.place {
                Place::Body => append_pair(form, spec.wire, &text),
                Place::Query => append_pair(query, spec.wire, &text),
            }
        }
    }
    Ok(())
}

/// Whether an option is present with a value that will be sent.
pub(crate) fn is_set(options: &Options, name: &str) -> bool {
    match options.get(name) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPECS: &[Spec] = &[
        body("flag", Kind::Bool { wire_true: "true" }),
        body("count", Kind::Count),
        body("port", Kind::Port),
        body(
            "text",
            Kind::Text {
                max: 10,
                multiline: false,
            },
        ),
        body("plan", Kind::Plan),
        Spec {
            name: "tracking",
            wire: "tracking-id",
            kind: Kind::Text {
                max: 10,
                multiline: false,
            },
            place: Place::Query,
        },
    ];

    fn run(options: Value) -> Result<(String, String), Error> {
        let mut form = Zeroizing::new(String::new());
        let mut query = String::new();
        encode(
            "op",
            SPECS,
            options.as_object().unwrap(),
            &mut form,
            &mut query,
        )?;
        Ok((form.to_string(), query))
    }

    #[test]
    fn values_are_encoded() {
        let (form, query) = run(json!({
            "flag": true, "count": "7", "port": 2222, "text": "a b&c", "plan": "premium", "tracking": "t1"
        }))
        .unwrap();
        assert_eq!(
            form,
            "flag=true&count=7&port=2222&text=a+b%26c&plan=premium"
        );
        assert_eq!(query, "tracking-id=t1");
        let (form, _) = run(json!({"flag": false, "count": null, "text": 5})).unwrap();
        assert_eq!(form, "text=5");
        let (form, _) = run(json!({"flag": "1"})).unwrap();
        assert_eq!(form, "flag=true");
    }

    #[test]
    fn bad_values_name_the_field() {
        for (options, field) in [
            (json!({"flag": "maybe"}), "flag"),
            (json!({"flag": [1]}), "flag"),
            (json!({"count": -1}), "count"),
            (json!({"count": 1.5}), "count"),
            (json!({"count": "12a"}), "count"),
            (json!({"count": ""}), "count"),
            (json!({"port": 0}), "port"),
            (json!({"port": 70000}), "port"),
            (json!({"text": ""}), "text"),
            (json!({"text": "12345678901"}), "text"),
            (json!({"text": "a\nb"}), "text"),
            (json!({"text": {}}), "text"),
            (json!({"plan": "Bad Plan"}), "plan"),
            (json!({"nope": 1}), "nope"),
        ] {
            let err = run(options.clone()).unwrap_err();
            assert_eq!(err.code(), "invalid_argument");
            assert!(
                err.message().starts_with(&format!("{field}: ")),
                "{options}: {}",
                err.message()
            );
        }
    }

    #[test]
    fn unknown_option_lists_the_known_ones() {
        let err = run(json!({"cancel_everything": true})).unwrap_err();
        assert!(err.message().contains("unknown option for op"));
        assert!(err.message().contains("flag, count"));
    }
}
