//! The layout of `core/src` keeps its dependencies running one way: no two top-level modules or
//! folders import each other, directly or through a longer cycle, and neither do the files of any
//! folder. A folder's `mod.rs` (the crate's `lib.rs`) counts as one more file of its folder: it may
//! re-export its files, so a file that reaches for something through it depends on all of them.
//!
//! References are read from the source text: `use` trees, and paths that start with `crate::`,
//! `super::`, `self::` or the name of a child module. Comments, string and character literals are
//! skipped, so a doc link is not a dependency. A method call names no module: calling a method that
//! another module's `impl` block adds goes unseen.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::Path;

/// A module path below the crate root: `[]` is `lib.rs`, `["api", "oauth"]` is `api/oauth.rs`.
type ModPath = Vec<String>;

/// One file of a folder's graph: the folder's own `mod.rs` (`lib.rs`), or one of its children.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Front,
    Child(String),
}

/// Where an edge was seen: file, line and the path as written.
#[derive(Clone, Debug)]
struct Evidence {
    file: String,
    line: usize,
    path: String,
}

/// The dependencies between the files of one folder (the crate root is the folder `""`).
#[derive(Default)]
struct FolderGraph {
    edges: BTreeMap<Node, BTreeMap<Node, Evidence>>,
}

struct Layout {
    /// Module path -> file (relative to `src/`).
    modules: BTreeMap<ModPath, String>,
    /// Folder (its module path) -> graph between its files.
    folders: BTreeMap<ModPath, FolderGraph>,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Tokens with their line numbers; comments, literals and lifetimes dropped.
fn tokenize(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some(after) = raw_string_end(&chars, i) {
            line += chars[i..after].iter().filter(|&&c| c == '\n').count();
            i = after;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let start = if c == 'b' { i + 1 } else { i };
            if at(start + 1) == '\\' {
                i = start + 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(start + 2) == '\'' {
                i = start + 3;
            } else {
                // A lifetime or a label: its name is read as an identifier, which is harmless.
                i = start + 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            if c == 'r' && at(i + 1) == '#' {
                i += 2;
            }
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Ident(chars[start..i].iter().collect()), line));
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push((Token::PathSep, line));
            i += 2;
        } else {
            tokens.push((Token::Punct(c), line));
            i += 1;
        }
    }
    tokens
}

/// The index just past a raw string (`r"..."`, `r#"..."#`, `br#"..."#`) starting at `i`, if one does.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The paths of a `use` tree starting at `tokens[*i]`, up to its `;` (or the `}`/`,` that ends a
/// nested tree); `prefix` is what the enclosing braces contributed.
fn use_tree(
    tokens: &[(Token, usize)],
    i: &mut usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) {
    let mut path = prefix.to_vec();
    while *i < tokens.len() {
        match &tokens[*i].0 {
            Token::Ident(name) if name == "as" => {
                // The alias that follows names nothing new.
                *i += 2;
            }
            Token::Ident(name) => {
                path.push(name.clone());
                *i += 1;
            }
            Token::PathSep => *i += 1,
            Token::Punct('{') => {
                *i += 1;
                // Nested trees up to the closing brace (a trailing comma allowed).
                loop {
                    match tokens.get(*i).map(|t| &t.0) {
                        Some(Token::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Token::Punct(',')) => *i += 1,
                        Some(_) => use_tree(tokens, i, &path, out),
                        None => return,
                    }
                }
            }
            Token::Punct('*') => {
                path.push("*".into());
                *i += 1;
            }
            Token::Punct(_) => break,
        }
    }
    if path.len() > prefix.len() {
        out.push(path);
    }
}

impl Layout {
    /// Builds the graphs from `(path below src/, source)` pairs.
    fn new(files: &[(String, String)]) -> Layout {
        let mut modules = BTreeMap::new();
        for (file, _) in files {
            modules.insert(module_path(file), file.clone());
        }
        let mut layout = Layout {
            modules,
            folders: BTreeMap::new(),
        };
        for (file, source) in files {
            layout.read(file, source);
        }
        layout
    }

    fn children(&self, module: &[String]) -> BTreeSet<String> {
        self.modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].clone())
            .collect()
    }

    fn read(&mut self, file: &str, source: &str) {
        let own = module_path(file);
        let own_children = self.children(&own);
        let tokens = tokenize(source);
        // Inline modules (`mod tests { ... }`): name and the brace depth inside them.
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < tokens.len() {
            let (token, line) = (&tokens[i].0, tokens[i].1);
            // The module the token is in, and the child modules a path may start with there.
            let current = || {
                let mut m = own.clone();
                m.extend(inline.iter().map(|(name, _)| name.clone()));
                m
            };
            let local = || {
                if inline.is_empty() {
                    own_children.clone()
                } else {
                    BTreeSet::new()
                }
            };
            let after_sep = i > 0 && tokens[i - 1].0 == Token::PathSep;
            match token {
                Token::Punct('{') => {
                    depth += 1;
                    i += 1;
                }
                Token::Punct('}') => {
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                    depth = depth.saturating_sub(1);
                    i += 1;
                }
                Token::Ident(kw) if kw == "mod" => {
                    if let (Some(Token::Ident(name)), Some(Token::Punct('{'))) = (
                        tokens.get(i + 1).map(|t| &t.0),
                        tokens.get(i + 2).map(|t| &t.0),
                    ) {
                        inline.push((name.clone(), depth + 1));
                    }
                    i += 1;
                }
                Token::Ident(kw) if kw == "use" && !after_sep => {
                    i += 1;
                    let mut paths = Vec::new();
                    use_tree(&tokens, &mut i, &[], &mut paths);
                    let (here, local) = (current(), local());
                    for path in paths {
                        self.reference(file, line, &own, &here, &local, &path);
                    }
                }
                Token::Ident(first)
                    if !after_sep && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::PathSep) =>
                {
                    let mut path = vec![first.clone()];
                    let mut j = i + 1;
                    while let (Some(Token::PathSep), Some(Token::Ident(next))) =
                        (tokens.get(j).map(|t| &t.0), tokens.get(j + 1).map(|t| &t.0))
                    {
                        path.push(next.clone());
                        j += 2;
                    }
                    let (here, local) = (current(), local());
                    self.reference(file, line, &own, &here, &local, &path);
                    i = j;
                }
                _ => i += 1,
            }
        }
    }

    /// Records the edge of one path written in `file` (module `own`, inside inline module `here`),
    /// where `local` are the child modules a bare first segment may name.
    fn reference(
        &mut self,
        file: &str,
        line: usize,
        own: &[String],
        here: &[String],
        local: &BTreeSet<String>,
        path: &[String],
    ) {
        let mut absolute: Vec<String> = match path[0].as_str() {
            "crate" => Vec::new(),
            "self" => here.to_vec(),
            "super" => {
                let mut m = here.to_vec();
                m.pop();
                m
            }
            name if local.contains(name) => {
                let mut m = here.to_vec();
                m.push(name.to_string());
                m
            }
            _ => return,
        };
        let mut rest = &path[1..];
        if path[0] == "super" {
            while rest.first().is_some_and(|s| s == "super") {
                absolute.pop();
                rest = &rest[1..];
            }
        }
        absolute.extend(rest.iter().cloned());
        // The deepest module of the crate the path goes through.
        let target = (0..=absolute.len())
            .rev()
            .map(|n| absolute[..n].to_vec())
            .find(|m| self.modules.contains_key(m))
            .unwrap_or_default();
        if target.as_slice() == own {
            return;
        }
        let shared = own.iter().zip(&target).take_while(|(a, b)| a == b).count();
        let folder = own[..shared].to_vec();
        let node = |m: &[String]| {
            if m.len() == shared {
                Node::Front
            } else {
                Node::Child(m[shared].clone())
            }
        };
        let (from, to) = (node(own), node(&target));
        if from == to {
            return;
        }
        self.folders
            .entry(folder)
            .or_default()
            .edges
            .entry(from)
            .or_default()
            .entry(to)
            .or_insert(Evidence {
                file: file.to_string(),
                line,
                path: path.join("::"),
            });
    }

    /// A label for `node` of `folder`: `mod.rs`, `lib.rs`, `name.rs` or `name/`.
    fn label(&self, folder: &[String], node: &Node) -> String {
        match node {
            Node::Front if folder.is_empty() => "lib.rs".into(),
            Node::Front => "mod.rs".into(),
            Node::Child(name) => {
                let mut m = folder.to_vec();
                m.push(name.clone());
                match self.modules.get(&m) {
                    Some(file) if file.ends_with("/mod.rs") => format!("{name}/"),
                    _ => format!("{name}.rs"),
                }
            }
        }
    }

    /// The cycles of every folder, one per set of files that reach each other.
    fn cycles(&self) -> Vec<Cycle> {
        let mut found = Vec::new();
        for (folder, graph) in &self.folders {
            let mut seen: BTreeSet<BTreeSet<Node>> = BTreeSet::new();
            for start in graph.edges.keys() {
                let Some(cycle) = shortest_cycle(graph, start) else {
                    continue;
                };
                let members: BTreeSet<Node> = cycle.iter().cloned().collect();
                if seen
                    .iter()
                    .any(|s| s.is_superset(&members) || members.is_superset(s))
                {
                    continue;
                }
                seen.insert(members);
                let steps = cycle
                    .windows(2)
                    .map(|pair| graph.edges[&pair[0]][&pair[1]].clone())
                    .collect();
                found.push(Cycle {
                    folder: folder_label(folder),
                    nodes: cycle.iter().map(|n| self.label(folder, n)).collect(),
                    steps,
                });
            }
        }
        found
    }

    /// The graph of each folder, one `from -> to` line per edge.
    fn describe(&self) -> String {
        let mut out = String::new();
        for (folder, graph) in &self.folders {
            out.push_str(&format!("{}\n", folder_label(folder)));
            for (from, targets) in &graph.edges {
                let to: Vec<String> = targets.keys().map(|n| self.label(folder, n)).collect();
                out.push_str(&format!(
                    "  {} -> {}\n",
                    self.label(folder, from),
                    to.join(", ")
                ));
            }
        }
        out
    }
}

struct Cycle {
    folder: String,
    /// The files of the cycle, the first repeated at the end.
    nodes: Vec<String>,
    /// What makes each step.
    steps: Vec<Evidence>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.folder, self.nodes.join(" -> "))?;
        for (step, evidence) in self.nodes.windows(2).zip(&self.steps) {
            write!(
                f,
                "\n    {} -> {}: {}:{} `{}`",
                step[0], step[1], evidence.file, evidence.line, evidence.path
            )?;
        }
        Ok(())
    }
}

fn folder_label(folder: &[String]) -> String {
    if folder.is_empty() {
        "src/".into()
    } else {
        format!("src/{}/", folder.join("/"))
    }
}

/// The shortest way from `start` back to itself, `start` first and last.
fn shortest_cycle(graph: &FolderGraph, start: &Node) -> Option<Vec<Node>> {
    let mut came_from: BTreeMap<Node, Node> = BTreeMap::new();
    let mut queue: VecDeque<Node> = VecDeque::from([start.clone()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.edges.get(&node).into_iter().flat_map(|t| t.keys()) {
            if next == start {
                let mut path = vec![node.clone()];
                let mut at = node.clone();
                while &at != start {
                    at = came_from[&at].clone();
                    path.push(at.clone());
                }
                path.reverse();
                path.push(start.clone());
                return Some(path);
            }
            if !came_from.contains_key(next) && next != start {
                came_from.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

/// `api/oauth.rs` -> `["api", "oauth"]`; `batch/mod.rs` -> `["batch"]`; `lib.rs` -> `[]`.
fn module_path(file: &str) -> ModPath {
    let without = file.strip_suffix(".rs").unwrap_or(file);
    let mut parts: Vec<String> = without.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn source_files(dir: &Path, below: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let relative = if below.is_empty() {
            name.clone()
        } else {
            format!("{below}/{name}")
        };
        if path.is_dir() {
            source_files(&path, &relative, out);
        } else if name.ends_with(".rs") {
            out.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn layout_of(files: &[(&str, &str)]) -> Layout {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(f, s)| (f.to_string(), s.to_string()))
        .collect();
    Layout::new(&files)
}

fn cycle_lines(layout: &Layout) -> Vec<String> {
    layout
        .cycles()
        .iter()
        .map(|c| format!("{}: {}", c.folder, c.nodes.join(" -> ")))
        .collect()
}

#[test]
fn dependencies_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, "", &mut files);
    let layout = Layout::new(&files);
    println!("{}", layout.describe());
    let root = layout.folders.get(&Vec::new());
    assert!(
        root.is_some_and(|g| g.edges.len() > 3),
        "no dependency between the top-level modules was read: the reader is broken"
    );
    let cycles = layout.cycles();
    let report: Vec<String> = cycles.iter().map(ToString::to_string).collect();
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{}",
        report.join("\n")
    );
}

#[test]
fn two_files_importing_each_other_are_a_cycle() {
    let layout = layout_of(&[
        ("lib.rs", "mod config;\nmod http;\n"),
        ("config.rs", "use crate::http::proxy::parse;\n"),
        ("http/mod.rs", "pub(crate) mod proxy;\n"),
        (
            "http/proxy.rs",
            "pub(crate) fn parse() { let _ = crate::config::Settings::default(); }\n",
        ),
    ]);
    assert_eq!(
        cycle_lines(&layout),
        ["src/: config.rs -> http/ -> config.rs"]
    );
    let report = layout.cycles()[0].to_string();
    assert!(
        report.contains("http/proxy.rs:1 `crate::config::Settings::default`"),
        "{report}"
    );
}

#[test]
fn longer_cycles_are_found() {
    let layout = layout_of(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\nmod d;\n"),
        ("a.rs", "use crate::b::{self, B};\n"),
        ("b.rs", "use crate::{c::C, d};\n"),
        ("c.rs", "fn f() -> crate::a::A { todo!() }\n"),
        ("d.rs", "use crate::c::*;\n"),
    ]);
    assert_eq!(cycle_lines(&layout), ["src/: a.rs -> b.rs -> c.rs -> a.rs"]);
}

#[test]
fn a_file_reaching_through_its_folders_mod_rs_closes_a_cycle() {
    let layout = layout_of(&[
        ("lib.rs", "pub mod batch;\n"),
        (
            "batch/mod.rs",
            "mod runner;\npub use runner::BatchRun;\npub struct BatchOptions;\n",
        ),
        (
            "batch/runner.rs",
            "use super::BatchOptions;\npub struct BatchRun;\n",
        ),
    ]);
    assert_eq!(
        cycle_lines(&layout),
        ["src/batch/: mod.rs -> runner.rs -> mod.rs"]
    );
    // The same through the crate root's re-exports.
    let layout = layout_of(&[
        ("lib.rs", "mod api;\nmod client;\npub use client::Client;\n"),
        ("api.rs", "pub struct Options;\n"),
        (
            "client.rs",
            "pub struct Client;\nfn f(_: &crate::Client) {}\n",
        ),
    ]);
    assert_eq!(
        cycle_lines(&layout),
        ["src/: lib.rs -> client.rs -> lib.rs"]
    );
}

#[test]
fn one_way_imports_comments_and_literals_are_no_cycle() {
    let layout = layout_of(&[
        ("lib.rs", "mod a;\nmod b;\npub use a::A;\n"),
        ("a.rs", "use crate::b::B;\npub struct A;\n"),
        (
            "b.rs",
            "//! See [`crate::a::A`].\n/* crate::a::A */\npub struct B;\n\
             fn f() -> &'static str { let _c = '\"'; \"crate::a::A\" }\n\
             fn g() -> &'static str { r#\"crate::a::A\"# }\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
    ]);
    assert!(layout.cycles().is_empty(), "{:?}", cycle_lines(&layout));
    let root = &layout.folders[&Vec::new()];
    assert!(root.edges[&Node::Child("a".into())].contains_key(&Node::Child("b".into())));
    assert!(!root.edges.contains_key(&Node::Child("b".into())));
}
