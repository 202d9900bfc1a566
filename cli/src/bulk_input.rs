//! The input of `bulk` and `reconcile`: CSV with a header row, or JSON lines, whose fields are the
//! protocol's own parameter names plus an optional `key`. Each row becomes a record with its line
//! number; a malformed row is a row error, never a request.

use std::io::{BufRead, BufReader, Read};

use serde_json::{Map, Value};

/// One row: its line number (from 1, the header counting for CSV) and its fields; empty values
/// are left out.
pub struct Row {
    pub line: u64,
    pub fields: Map<String, Value>,
}

/// A row that cannot be used, with its line number.
pub struct RowError {
    pub line: u64,
    pub message: String,
}

/// Everything read from an input.
pub struct Rows {
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
}

/// Reads `path` (`-` for stdin): `.csv` as CSV with a header row, anything else (`.jsonl`, stdin)
/// as JSON lines; stdin is CSV when its first line does not start with `{`. Fields outside
/// `allowed` are refused at the header (CSV) or in the row (JSONL). Errors: the input cannot be
/// read, or a CSV header names an unknown column.
pub fn read(path: &str, allowed: &[&str]) -> Result<Rows, String> {
    let mut text = String::new();
    if path == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| format!("cannot read {path}: {e}"))?;
    }
    let csv = if path == "-" {
        !text.trim_start().starts_with('{') && !text.trim().is_empty()
    } else {
        path.to_ascii_lowercase().ends_with(".csv")
    };
    if csv {
        read_csv(&text, allowed)
    } else {
        Ok(read_jsonl(&text, allowed))
    }
}

fn read_csv(text: &str, allowed: &[&str]) -> Result<Rows, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("line 1: the header row cannot be read: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(
            "line 1: the header row is empty: name the columns (e.g. local_user,siteurl,plan,key)"
                .into(),
        );
    }
    for (i, name) in header.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            return Err(format!(
                "line 1: column {} is {name:?}, not one of {}",
                i + 1,
                allowed.join(", ")
            ));
        }
        if header[..i].contains(name) {
            return Err(format!("line 1: column {name:?} appears twice"));
        }
    }
    let mut rows = Rows {
        rows: Vec::new(),
        errors: Vec::new(),
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p.byte()));
                rows.errors.push(RowError {
                    line,
                    message: format!("not a CSV row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            rows.errors.push(RowError {
                line,
                message: format!("{} fields, the header has {}", record.len(), header.len()),
            });
            continue;
        }
        let fields = header
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect();
        rows.rows.push(Row { line, fields });
    }
    Ok(rows)
}

/// The line number of the record that starts at a byte offset: the csv crate neither counts blank
/// lines nor skips them in a record's position.
fn line_at(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = (byte as usize).min(bytes.len());
    while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

fn read_jsonl(text: &str, allowed: &[&str]) -> Rows {
    let mut rows = Rows {
        rows: Vec::new(),
        errors: Vec::new(),
    };
    for (i, line) in BufReader::new(text.as_bytes()).lines().enumerate() {
        let number = i as u64 + 1;
        let Ok(line) = line else {
            rows.errors.push(RowError {
                line: number,
                message: "not UTF-8 text".into(),
            });
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        let fields: Map<String, Value> = match serde_json::from_str(&line) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                rows.errors.push(RowError {
                    line: number,
                    message: "not a JSON object".into(),
                });
                continue;
            }
            Err(e) => {
                rows.errors.push(RowError {
                    line: number,
                    message: format!("not JSON: {e}"),
                });
                continue;
            }
        };
        if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            rows.errors.push(RowError {
                line: number,
                message: format!("{unknown}: not one of {}", allowed.join(", ")),
            });
            continue;
        }
        let fields = fields
            .into_iter()
            .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
            .collect();
        rows.rows.push(Row {
            line: number,
            fields,
        });
    }
    rows
}

/// A text field of a row (numbers written out).
pub fn text(row: &Row, name: &str) -> Option<String> {
    match row.fields.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[&str] = &["key", "siteurl", "plan", "local_user"];

    #[test]
    fn csv_rows_keep_their_line_numbers_and_bad_rows_are_reported() {
        let rows = read_csv(
            "local_user,siteurl,plan,key\nadmin,https://a.example/,premium,o-1\nadmin,https://b.example/\n\nadmin,\"https://c.example/\",,o-3\n",
            ALLOWED,
        )
        .unwrap();
        assert_eq!(rows.rows.len(), 2);
        assert_eq!(rows.rows[0].line, 2);
        assert_eq!(rows.rows[1].line, 5);
        assert!(!rows.rows[1].fields.contains_key("plan"));
        assert_eq!(rows.errors.len(), 1);
        assert_eq!(rows.errors[0].line, 3);
        let err = read_csv("siteurl,colour\n", ALLOWED).err().unwrap();
        assert!(err.contains("\"colour\""), "{err}");
    }

    #[test]
    fn jsonl_rows_refuse_unknown_fields_and_non_objects() {
        let rows = read_jsonl(
            "{\"siteurl\":\"https://a.example/\",\"local_user\":\"admin\"}\n[1]\n{\"colour\":1}\n{bad\n",
            ALLOWED,
        );
        assert_eq!(rows.rows.len(), 1);
        let lines: Vec<u64> = rows.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
    }
}
