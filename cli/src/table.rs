//! Tables for a person reading a terminal: activations, their summary, invoices.
//!
//! Tolerant of the server's shapes: a missing field shows as `-`, numbers and strings
//! as they came. Control characters from the server are escaped, so a site name cannot
//! move the terminal's cursor. Columns are padded by display width, so that CJK and emoji
//! (two columns each) and combining marks (none) keep them lined up.

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// Left- or right-aligned column.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// One cell's text: `-` for null or absent, strings without quotes.
fn cell(v: Option<&Value>) -> String {
    let text = match v {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "-".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn render(headers: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|(h, _)| h.width()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = (&str, Align)>| {
        let mut out = String::new();
        for (i, (text, align)) in cells.enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = widths[i].saturating_sub(text.width());
            let last = i + 1 == widths.len();
            match align {
                Align::Right => {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(text);
                }
                Align::Left => {
                    out.push_str(text);
                    if !last {
                        out.push_str(&" ".repeat(pad));
                    }
                }
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut headers.iter().map(|(h, a)| (*h, *a)));
    for row in rows {
        out.push_str(&line(
            &mut row.iter().zip(headers).map(|(c, (_, a))| (c.as_str(), *a)),
        ));
    }
    out
}

/// A table of left-aligned columns (the `reconcile` report), cells as for the other tables.
pub fn plain(headers: &[&str], rows: &[Vec<Value>]) -> String {
    let headers: Vec<(&str, Align)> = headers.iter().map(|h| (*h, Align::Left)).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|v| cell(Some(v))).collect())
        .collect();
    render(&headers, &rows)
}

/// `active`, `pending`, `cancelled` or `disputed`.
fn activation_state(a: &Value) -> &'static str {
    let set = |k: &str| a.get(k).is_some_and(|v| !v.is_null());
    if set("disputed_on") {
        "disputed"
    } else if set("cancelled_on") {
        "cancelled"
    } else if a.get("is_pending").and_then(Value::as_bool) == Some(true) || !set("activated_on") {
        "pending"
    } else {
        "active"
    }
}

/// A table of activations; `footer` (e.g. the page) is printed under it.
pub fn activations(items: &[Value], footer: &str) -> String {
    use Align::{Left, Right};
    if items.is_empty() {
        return format!("No activations. {footer}\n");
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|a| {
            let product = a
                .get("current_product_slug")
                .or_else(|| a.get("product_slug"))
                .or_else(|| a.get("current_product_id"));
            vec![
                cell(a.get("id")),
                cell(a.get("site_url")),
                cell(product),
                activation_state(a).to_owned(),
                cell(a.get("created_on")),
                cell(a.get("activated_on")),
                cell(a.get("cancelled_on")),
            ]
        })
        .collect();
    let mut out = render(
        &[
            ("ID", Right),
            ("SITE", Left),
            ("PRODUCT", Left),
            ("STATE", Left),
            ("CREATED", Left),
            ("ACTIVATED", Left),
            ("CANCELLED", Left),
        ],
        &rows,
    );
    out.push_str(footer);
    out.push('\n');
    out
}

/// The footer of one page of activations: `Page 2 of 3 (45 activations).`
pub fn page_footer(body: &Value, shown: usize) -> String {
    let total = body.get("total").and_then(Value::as_u64);
    let page = body.get("page").and_then(Value::as_u64);
    let per_page = body.get("per_page").and_then(Value::as_u64);
    match (total, page, per_page) {
        (Some(total), Some(page), Some(per)) if per > 0 => format!(
            "Page {page} of {} ({total} activations; --all for every page).",
            total.div_ceil(per).max(1)
        ),
        (Some(total), _, _) => format!("{shown} of {total} activations."),
        _ => format!("{shown} activations."),
    }
}

/// The summary by period: `[{date, new, total}]`.
pub fn summary(body: &Value) -> String {
    use Align::{Left, Right};
    let rows: Vec<Vec<String>> = body
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            vec![
                cell(r.get("date")),
                cell(r.get("new")),
                cell(r.get("total")),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "No activations.\n".to_owned();
    }
    render(&[("DATE", Left), ("NEW", Right), ("TOTAL", Right)], &rows)
}

/// Cents as `12.34 USD`; anything else as it came.
fn money(amount: Option<&Value>, currency: Option<&Value>) -> String {
    let currency = currency
        .and_then(Value::as_str)
        .map(|c| format!(" {}", cell(Some(&Value::String(c.to_ascii_uppercase())))))
        .unwrap_or_default();
    match amount.and_then(Value::as_i64) {
        Some(cents) => {
            let sign = if cents < 0 { "-" } else { "" };
            let abs = cents.unsigned_abs();
            format!("{sign}{}.{:02}{currency}", abs / 100, abs % 100)
        }
        None => cell(amount),
    }
}

fn invoice_lines(v: &Value) -> &[Value] {
    let lines = v.get("lines");
    // Stripe's own shape is {"data": [...]}.
    lines
        .and_then(Value::as_array)
        .or_else(|| lines.and_then(|l| l.get("data")).and_then(Value::as_array))
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Past invoices: `{"invoices": [...]}` (or a bare list).
pub fn invoices(body: &Value) -> String {
    use Align::{Left, Right};
    let list = body
        .get("invoices")
        .unwrap_or(body)
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if list.is_empty() {
        return "No invoices.\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|inv| {
            vec![
                cell(inv.get("id")),
                cell(inv.get("status")),
                cell(inv.get("period_start")),
                cell(inv.get("period_end")),
                invoice_lines(inv).len().to_string(),
                money(inv.get("total"), inv.get("currency")),
            ]
        })
        .collect();
    render(
        &[
            ("INVOICE", Left),
            ("STATUS", Left),
            ("FROM", Left),
            ("TO", Left),
            ("LINES", Right),
            ("TOTAL", Right),
        ],
        &rows,
    )
}

/// One invoice with its lines (the upcoming invoice).
pub fn invoice(inv: &Value) -> String {
    use Align::{Left, Right};
    let currency = inv.get("currency");
    let mut out = format!(
        "Invoice {} ({}), {} to {}\n",
        cell(inv.get("id")),
        cell(inv.get("status")),
        cell(inv.get("period_start")),
        cell(inv.get("period_end")),
    );
    let mut rows: Vec<Vec<String>> = invoice_lines(inv)
        .iter()
        .map(|l| {
            vec![
                cell(l.get("product_slug").or_else(|| l.get("product_id"))),
                cell(l.get("description")),
                cell(l.get("quantity")),
                money(l.get("unit_amount"), currency),
                money(l.get("amount"), currency),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("No billable activations.\n");
    }
    rows.push(vec![
        "TOTAL".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        money(inv.get("total"), currency),
    ]);
    out.push_str(&render(
        &[
            ("PRODUCT", Left),
            ("DESCRIPTION", Left),
            ("QTY", Right),
            ("UNIT PRICE", Right),
            ("AMOUNT", Right),
        ],
        &rows,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn activations_table_has_a_row_per_activation_and_aligned_columns() {
        let items = vec![
            json!({"id": 7, "site_url": "https://a.example", "current_product_slug": "premium",
                   "created_on": "2026-01-02 03:04:05", "activated_on": "2026-01-02 03:05:00",
                   "cancelled_on": null, "is_pending": false}),
            json!({"id": 12, "site_url": "https://longer-name.example/blog", "product_slug": "jetpack-scan",
                   "created_on": "2026-01-03 00:00:00", "activated_on": null, "cancelled_on": null,
                   "is_pending": true}),
            json!({"id": 3, "site_url": "https://c.example", "current_product_id": 2000,
                   "created_on": "2026-01-01 00:00:00", "activated_on": "2026-01-01 00:00:00",
                   "cancelled_on": "2026-02-01 00:00:00"}),
        ];
        let text = activations(&items, "Page 1 of 1 (3 activations).");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("ID  SITE"), "{text}");
        assert!(lines[1].starts_with(" 7  https://a.example  "), "{text}");
        assert!(lines[1].contains("premium") && lines[1].contains("active"));
        assert!(lines[2].contains("jetpack-scan") && lines[2].contains("pending"));
        assert!(lines[3].contains("2000") && lines[3].contains("cancelled"));
        // Columns line up: every row has STATE's text at the header's offset.
        let at = lines[0].find("STATE").unwrap();
        for (row, state) in [(1, "active"), (2, "pending"), (3, "cancelled")] {
            assert_eq!(&lines[row][at..at + state.len()], state, "{text}");
        }
        assert_eq!(lines[4], "Page 1 of 1 (3 activations).");
        assert!(
            !text.lines().any(|l| l.ends_with(' ')),
            "no trailing blanks: {text:?}"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let items = vec![json!({"id": 1, "site_url": "https://x.example/\u{1b}[2J"})];
        let text = activations(&items, "");
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("\\u{1b}[2J"), "{text:?}");
    }

    #[test]
    fn empty_listings_say_so() {
        assert_eq!(
            activations(&[], "0 activations."),
            "No activations. 0 activations.\n"
        );
        assert_eq!(invoices(&json!({"invoices": []})), "No invoices.\n");
        assert_eq!(summary(&json!([])), "No activations.\n");
    }

    #[test]
    fn page_footer_counts_pages() {
        let body = json!({"total": 45, "page": 2, "per_page": 20, "activations": []});
        assert_eq!(
            page_footer(&body, 20),
            "Page 2 of 3 (45 activations; --all for every page)."
        );
        assert_eq!(page_footer(&json!({"total": 5}), 5), "5 of 5 activations.");
        assert_eq!(page_footer(&json!({}), 0), "0 activations.");
    }

    #[test]
    fn summary_rows() {
        let text = summary(&json!([{"date": "2026-10-01", "new": 3, "total": 3},
                                   {"date": "2026-11-01", "new": 42, "total": 45}]));
        assert_eq!(
            text,
            "DATE        NEW  TOTAL\n2026-10-01    3      3\n2026-11-01   42     45\n"
        );
    }

    #[test]
    fn invoices_in_currency_units() {
        let body = json!({"invoices": [
            {"id": "in_1", "status": "paid", "currency": "usd", "period_start": "2026-09-01",
             "period_end": "2026-10-01", "lines": [{"amount": 900}, {"amount": 700}], "total": 1600},
        ]});
        let text = invoices(&body);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[1].starts_with("in_1     paid    2026-09-01  2026-10-01"),
            "{text}"
        );
        assert!(lines[1].ends_with("  2  16.00 USD"), "{text}");
        assert_eq!(money(Some(&json!(-5)), None), "-0.05");
        assert_eq!(money(Some(&json!("n/a")), None), "n/a");
    }

    #[test]
    fn one_invoice_with_its_lines_and_total() {
        let inv = json!({"id": "in_up", "status": "upcoming", "currency": "usd",
            "period_start": "2026-11-01", "period_end": "2026-12-01",
            "lines": [{"product_slug": "premium", "description": "Jetpack Premium", "quantity": 3,
                       "unit_amount": 900, "amount": 2700}],
            "total": 2700});
        let text = invoice(&inv);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Invoice in_up (upcoming), 2026-11-01 to 2026-12-01"
        );
        assert!(lines[1].starts_with("PRODUCT"), "{text}");
        assert!(lines[2].starts_with("premium  Jetpack Premium"), "{text}");
        assert!(lines[2].ends_with("9.00 USD  27.00 USD"), "{text}");
        assert!(
            lines[3].starts_with("TOTAL") && lines[3].ends_with("27.00 USD"),
            "{text}"
        );
        let empty = invoice(&json!({"id": "x", "lines": [], "total": 0}));
        assert!(empty.contains("No billable activations."), "{empty}");
    }

    /// The display columns each cell of `line` spans: a cell starts after two spaces or
    /// more (cells hold single spaces at most).
    fn cell_spans(line: &str) -> Vec<(usize, usize)> {
        let column = |byte: usize| line[..byte].width();
        let mut spans = Vec::new();
        let (mut blanks, mut start, mut end) = (2, None, 0);
        for (i, c) in line.char_indices() {
            if c == ' ' {
                blanks += 1;
                continue;
            }
            if blanks >= 2 {
                if let Some(s) = start {
                    spans.push((column(s), column(end)));
                }
                start = Some(i);
            }
            blanks = 0;
            end = i + c.len_utf8();
        }
        if let Some(s) = start {
            spans.push((column(s), column(end)));
        }
        spans
    }

    #[test]
    fn wide_characters_keep_the_columns_lined_up() {
        let sites = [
            "https://例え.jp/ブログ",
            "https://🚀.example",
            "https://cafe\u{301}.example",
            "https://ascii-only.example",
        ];
        let rows: Vec<Vec<Value>> = sites
            .iter()
            .map(|s| vec![json!(s), json!("プレミアム"), json!("missing")])
            .collect();
        let text = plain(&["SITE", "PLAN", "STATE"], &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        // "https://例え.jp/ブログ": 8 + 4 + 4 + 6 columns, the widest site.
        assert_eq!(cell_spans(lines[1])[0], (0, 22), "{text}");
        let header = cell_spans(lines[0]);
        for line in &lines[1..] {
            let spans = cell_spans(line);
            assert_eq!(spans.len(), 3, "{line}");
            for (cell, head) in spans.iter().zip(&header) {
                assert_eq!(cell.0, head.0, "a column starts elsewhere: {text}");
            }
        }
        assert!(!text.lines().any(|l| l.ends_with(' ')), "{text:?}");

        // Right-aligned columns end at the header's end.
        let items: Vec<Value> = sites
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({"id": 10_usize.pow(i as u32), "site_url": s, "product_slug": "🛡️scan",
                                 "created_on": "2026-01-02", "activated_on": "2026-01-03"})
            })
            .collect();
        let text = activations(&items, "");
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        let header = cell_spans(lines[0]);
        for line in &lines[1..] {
            let spans = cell_spans(line);
            assert_eq!(spans[0].1, header[0].1, "ID is right-aligned: {text}");
            for (cell, head) in spans.iter().zip(&header).skip(1) {
                assert_eq!(cell.0, head.0, "a column starts elsewhere: {text}");
            }
        }
    }
}
