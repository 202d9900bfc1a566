//! The layout of `core/src` keeps its dependencies running one way: no two top-level modules or
//! folders import each other, directly or through a longer cycle, and neither do the files of any
//! folder. A folder's `mod.rs` (the crate's `lib.rs`) counts as one more file of its folder: it may
//! re-export its files, so a file that reaches for something through it depends on all of them.
//!
//! Each file is parsed with `syn`, and its references are its `use` trees and the paths of two or
//! more segments that start with `crate`, `super`, `self` or the name of a child module. Comments,
//! literals and doc comments (attributes) hold no paths, so a doc link is not a dependency. Two
//! kinds of reference go unseen: a method call names no module, so calling a method that another
//! module's `impl` block adds is invisible; and the body of a macro invocation (`format!(...)`,
//! `matches!(...)`, `error_kind_table!` in `error.rs`) or of an attribute's token list
//! (`#[derive(...)]`) is a token stream that `syn` does not parse, so a module named only there is
//! missed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::Path;

use syn::visit::{self, Visit};

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

/// Collects the module paths one file writes, resolved to module paths below the crate root.
struct Reader<'a> {
    /// The file's module.
    own: &'a [String],
    /// The child modules of the file's module: a path may start with their bare names.
    children: &'a BTreeSet<String>,
    /// The inline modules (`mod tests { ... }`) the visitor is in.
    inline: Vec<String>,
    /// The module path each reference names, with its line and the path as written.
    found: Vec<(ModPath, usize, Vec<String>)>,
}

impl Reader<'_> {
    fn reference(&mut self, path: Vec<String>, span: proc_macro2::Span) {
        let mut here = self.own.to_vec();
        here.extend(self.inline.iter().cloned());
        let (mut absolute, rest) = match path[0].as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (here, &path[1..]),
            "super" => {
                let supers = path.iter().take_while(|s| *s == "super").count();
                here.truncate(here.len().saturating_sub(supers));
                (here, &path[supers..])
            }
            // Inside an inline module, a bare name is one of that module's own items.
            name if self.inline.is_empty() && self.children.contains(name) => (here, &path[..]),
            _ => return,
        };
        absolute.extend(rest.iter().cloned());
        self.found.push((absolute, span.start().line, path));
    }

    /// Every path of a `use` tree: one per name, rename (its original name) and glob (`*`).
    fn use_tree(&mut self, mut prefix: Vec<String>, tree: &syn::UseTree) {
        let (leaf, span) = match tree {
            syn::UseTree::Path(step) => {
                prefix.push(step.ident.to_string());
                return self.use_tree(prefix, &step.tree);
            }
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.use_tree(prefix.clone(), item);
                }
                return;
            }
            syn::UseTree::Name(name) => (name.ident.to_string(), name.ident.span()),
            syn::UseTree::Rename(rename) => (rename.ident.to_string(), rename.ident.span()),
            syn::UseTree::Glob(glob) => ("*".to_string(), glob.star_token.span),
        };
        prefix.push(leaf);
        self.reference(prefix, span);
    }
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        // `use ::name` names another crate.
        if item.leading_colon.is_none() {
            self.use_tree(Vec::new(), &item.tree);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.inline.push(item.ident.to_string());
        visit::visit_item_mod(self, item);
        self.inline.pop();
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // One segment names no module (`self` the receiver, a local variable), and a leading
        // `::` names another crate.
        if path.segments.len() > 1 && path.leading_colon.is_none() {
            let written = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.reference(written, path.segments[0].ident.span());
        }
        visit::visit_path(self, path);
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
        let children = self.children(&own);
        let syntax = syn::parse_file(source).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut reader = Reader {
            own: &own,
            children: &children,
            inline: Vec::new(),
            found: Vec::new(),
        };
        reader.visit_file(&syntax);
        for (absolute, line, written) in reader.found {
            // The deepest module of the crate the path goes through.
            let target = (0..=absolute.len())
                .rev()
                .map(|n| absolute[..n].to_vec())
                .find(|m| self.modules.contains_key(m))
                .unwrap_or_default();
            let shared = own.iter().zip(&target).take_while(|(a, b)| a == b).count();
            let node = |m: &[String]| match m.get(shared) {
                None => Node::Front,
                Some(name) => Node::Child(name.clone()),
            };
            let (from, to) = (node(&own), node(&target));
            if from == to {
                continue;
            }
            self.folders
                .entry(own[..shared].to_vec())
                .or_default()
                .edges
                .entry(from)
                .or_default()
                .entry(to)
                .or_insert(Evidence {
                    file: file.to_string(),
                    line,
                    path: written.join("::"),
                });
        }
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
