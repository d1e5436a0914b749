//! The architecture, checked: every import in `src/` points down a layer, and
//! no two modules under one parent import each other, however indirectly.
//! The layers, highest first (README, "Project layout"):
//!
//! ```text
//! cli, startup          the commands; the server, built for main and tests
//! pages | api           the two faces, HTML and JSON, never each other
//! http                  what both faces share
//! courses               the domain, one folder per resource: courses and
//! students, accounts    enrolments build on students (a class list shows
//!                       students, a student's page their courses)
//! audit                 the history of changes, which every resource records
//! pagination, format,   used by any resource
//! email
//! database              pool, migrations, off-worker execution
//! schema, config, telemetry, allocator
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Each top-level module's layer; a module may use only lower layers.
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "cli" => 9,
        "startup" => 8,
        "pages" | "api" => 7,
        "http" => 6,
        // Enrolments are students': courses reads them, never the reverse.
        "courses" => 5,
        "students" | "accounts" => 4,
        // Part of the domain, one step down: every resource records its
        // changes in it, and it knows none of them.
        "audit" => 3,
        "pagination" | "format" | "email" | "text" => 2,
        "database" => 1,
        "schema" | "config" | "telemetry" | "allocator" => 0,
        _ => return None,
    })
}

type ModulePath = Vec<String>;

/// Every module of the crate (by file), with the module paths its source
/// names through `crate::…` and `super::…`.
fn modules() -> BTreeMap<ModulePath, Vec<ModulePath>> {
    let mut files = Vec::new();
    collect_rs_files(Path::new("src"), &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix("src").expect("under src");
        let mut path: ModulePath = relative
            .with_extension("")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        if path
            .last()
            .is_some_and(|last| last == "mod" || last == "lib")
        {
            path.pop();
        }
        if path == ["main"] {
            continue;
        }
        let source = fs::read_to_string(&file).expect("read source");
        // Comments may mention any module (doc links): only code imports.
        let code: String = source
            .lines()
            .map(without_comment)
            .collect::<Vec<_>>()
            .join("\n");
        modules.insert(path.clone(), referenced_paths(&path, &code));
    }
    modules
}

fn collect_rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect_rs_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The paths after `crate::` or `super::` (braced groups expanded to their
/// first segments), made absolute.
fn referenced_paths(module: &ModulePath, source: &str) -> Vec<ModulePath> {
    let mut found = Vec::new();
    for prefix in ["crate::", "super::"] {
        for (at, _) in source.match_indices(prefix) {
            let before = source[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut rest = &source[at + prefix.len()..];
            let mut base = if prefix == "crate::" {
                Vec::new()
            } else {
                parent(module)
            };
            // `super::super::…` climbs one module per `super`.
            while prefix == "super::"
                && let Some(after) = rest.strip_prefix("super::")
            {
                base = parent(&base);
                rest = after;
            }
            for segments in first_segments(rest) {
                let mut path = base.clone();
                path.extend(segments);
                found.push(path);
            }
        }
    }
    found
}

/// The line without its `//` comment; a `//` inside a string literal (a
/// URL, say) is not one.
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '/' if !in_string && previous == '/' => return &line[..at - 1],
            _ => {}
        }
        previous = c;
    }
    line
}

fn parent(module: &ModulePath) -> ModulePath {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// `a::b::c` → `[[a, b, c]]`; `{a::b, c::{d, e}}` → `[[a, b], [c]]`.
fn first_segments(text: &str) -> Vec<Vec<String>> {
    let Some(group) = text.strip_prefix('{') else {
        return vec![segments(text)];
    };
    // The group's items at depth 0, up to its closing brace.
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..at]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items
        .into_iter()
        .map(|item| segments(item.trim()))
        .filter(|path| !path.is_empty())
        .collect()
}

fn segments(text: &str) -> Vec<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .take_while(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The longest prefix of `path` that is a module.
fn module_of(path: &[String], modules: &BTreeMap<ModulePath, Vec<ModulePath>>) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|len| path[..len].to_vec())
        .find(|prefix| modules.contains_key(prefix))
        .unwrap_or_default()
}

/// Edges between siblings: `from` uses `to`, two children of one parent
/// (found where the importing and the imported module part ways).
fn sibling_edges(
    modules: &BTreeMap<ModulePath, Vec<ModulePath>>,
) -> BTreeSet<(ModulePath, ModulePath)> {
    let mut edges = BTreeSet::new();
    for (from, references) in modules {
        for reference in references {
            let to = module_of(reference, modules);
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common < from.len() && common < to.len() {
                edges.insert((from[..=common].to_vec(), to[..=common].to_vec()));
            }
        }
    }
    edges
}

#[test]
fn every_import_points_down_a_layer() {
    let mut upward = Vec::new();
    for (from, to) in sibling_edges(&modules()) {
        if from.len() != 1 {
            continue;
        }
        let (Some(from_layer), Some(to_layer)) = (layer(&from[0]), layer(&to[0])) else {
            panic!("{from:?} or {to:?} has no layer: add it to `layer`");
        };
        if to_layer >= from_layer {
            upward.push(format!("{} uses {}", from[0], to[0]));
        }
    }
    assert!(
        upward.is_empty(),
        "imports that do not point down: {upward:#?}"
    );
}

#[test]
fn no_modules_import_each_other() {
    let edges = sibling_edges(&modules());
    let mut graph: BTreeMap<&ModulePath, Vec<&ModulePath>> = BTreeMap::new();
    for (from, to) in &edges {
        graph.entry(from).or_default().push(to);
    }
    // Depth-first search; a module met again on the current path closes a circle.
    fn visit<'a>(
        node: &'a ModulePath,
        graph: &BTreeMap<&'a ModulePath, Vec<&'a ModulePath>>,
        on_path: &mut Vec<&'a ModulePath>,
        done: &mut BTreeSet<&'a ModulePath>,
    ) -> Option<Vec<String>> {
        if let Some(start) = on_path.iter().position(|n| *n == node) {
            let mut circle: Vec<String> = on_path[start..].iter().map(|n| n.join("::")).collect();
            circle.push(node.join("::"));
            return Some(circle);
        }
        if !done.insert(node) {
            return None;
        }
        on_path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, on_path, done) {
                return Some(circle);
            }
        }
        on_path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("modules that import each other: {}", circle.join(" → "));
        }
    }
}

#[test]
fn the_checker_sees_imports_in_all_their_forms() {
    let module: ModulePath = vec!["api".into(), "students".into(), "handlers".into()];
    let source = "use super::json::StudentRecord;\nuse crate::{http, students::{self, queries}};\n\
                  let x = crate::format::rfc3339(&at); // not my_crate::x\n\
                  let url = \"http://x\"; let y = super::super::super::pages::Page;";
    let code: String = source
        .lines()
        .map(without_comment)
        .collect::<Vec<_>>()
        .join("\n");
    let found = referenced_paths(&module, &code);
    let expected: Vec<ModulePath> = [
        vec!["api", "students", "json", "StudentRecord"],
        vec!["http"],
        vec!["students"],
        vec!["format", "rfc3339"],
        vec!["pages", "Page"],
    ]
    .iter()
    .map(|path| path.iter().map(|s| s.to_string()).collect())
    .collect();
    for path in &expected {
        assert!(found.contains(path), "{path:?} not in {found:?}");
    }
    assert_eq!(found.len(), expected.len(), "{found:?}");
}
