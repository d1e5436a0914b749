#!/usr/bin/env python3
"""Rebuild the Flask-SQLAlchemy tutorial's student app from the tutorial text.

    extract.py SEED_FILE OUT_DIR

The seed file is the tutorial as plain text ("Interact with Databases in Flask
Using Flask-SQLAlchemy"): its code is not fenced, so a code block is found
from the tutorial's own layout:

  * it starts after a caption line naming its file ("flask_app/app.py",
    "flask_app/templates/index.html"), or, for the one listing without a
    caption (create.html), at the first line that looks like code after the
    "nano templates/create.html" command that opened the file;
  * it ends at the next "Save and close ..." line. A caption followed by
    another caption before any "Save and close" is a piece of a listing that
    the tutorial prints again whole further on (Step 2's imports, settings
    and model, then "The app.py file will now look as follows:"); only the
    whole listing is kept.

Only Steps 2 to 7 are read (from "Step 2 —" to "Handling Database Migrations
with Flask-Migrate"): that is the app the tutorial builds. The later sections
(Flask-Migrate, a city column, caching, a debug toolbar) are optional
extras, not part of that app, and are left out.

The blocks are then applied in the tutorial's order, as a reader would:

  * app.py: a block with imports is the whole module; any other block is
    one or more view functions (with their decorators) added "at the end of
    the file", a later version of a function replacing the earlier one (the
    create view first answers GET only, then is edited to handle POST);
  * a template block starting with "{% extends" or "<!DOCTYPE" is the whole
    file; any other is a fragment the tutorial says to edit in place (the
    student loop of index.html, the <body> of base.html): it replaces the
    lines of the file from its first line to its last (matched without
    indentation), re-indented to where the replaced text stood.

No code is changed: the files written are the tutorial's final app.py and
templates. What the tutorial does outside the files (creating the tables
from the Flask shell, adding students) is left to the caller; see
setup_db.py. The database stays where the tutorial puts it, database.db
next to app.py, i.e. in OUT_DIR.

Prints a summary on stderr; exits non-zero if the app found is not the one
expected (its five views and five templates, the create form's fields).
"""
import ast
import os
import re
import sys

START = re.compile(r"^Step 2 \u2014 ")
STOP = re.compile(r"^Handling Database Migrations with Flask-Migrate")
CAPTION = re.compile(r"^flask_app/(\S+)\s*$")
NANO = re.compile(r"^\s*\d+\.\s+nano\s+(\S+)\s*$")
SAVE = re.compile(r"^Save and close\b")
CODE_START = re.compile(r"^\s*(\{%|<|@|#|import |from |def |class )")

VIEWS = ("index", "student", "create", "edit", "delete")
TEMPLATES = ("base.html", "index.html", "student.html", "create.html", "edit.html")
CREATE_FIELDS = ("firstname", "lastname", "email", "age", "bio")


def section(lines):
    """The lines of Steps 2 to 7."""
    start = next(i for i, line in enumerate(lines) if START.match(line))
    stop = next(i for i, line in enumerate(lines) if i > start and STOP.match(line))
    return lines[start:stop]


def trim(block):
    while block and not block[0].strip():
        block = block[1:]
    while block and not block[-1].strip():
        block = block[:-1]
    return block


def blocks(lines):
    """(file name, lines) of each listing, in the tutorial's order."""
    found = []
    nano_file = nano_at = None
    caption_file = caption_at = None
    for i, line in enumerate(lines):
        m = NANO.match(line)
        if m:
            nano_file, nano_at = m.group(1), i
            caption_file = caption_at = None
            continue
        m = CAPTION.match(line)
        if m:
            caption_file, caption_at = m.group(1), i
            continue
        if SAVE.match(line):
            if caption_file is not None:
                found.append((caption_file, trim(lines[caption_at + 1:i])))
            elif nano_file is not None:
                body = lines[nano_at + 1:i]
                first = next((j for j, l in enumerate(body) if CODE_START.match(l)), None)
                if first is not None:
                    found.append((nano_file, trim(body[first:])))
            nano_file = nano_at = caption_file = caption_at = None
    return found


def build_app(listings):
    module = None
    views = {}  # name -> source, in order of first appearance
    for text in listings:
        tree = ast.parse(text)
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body):
            module = text
            continue
        src = text.splitlines()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                views[node.name] = "\n".join(src[first - 1:node.end_lineno])
    if module is None:
        raise SystemExit("extract: no complete app.py listing found")
    return module.rstrip() + "\n\n" + "".join("\n" + v + "\n\n" for v in views.values()).rstrip() + "\n"


def splice(text, fragment, name):
    lines = text.splitlines()
    frag = fragment.splitlines()
    head, tail = frag[0].strip(), frag[-1].strip()
    start = next((i for i, l in enumerate(lines) if l.strip() == head), None)
    if start is None:
        raise SystemExit(f"extract: {name}: no line {head!r} to edit")
    end = next((i for i in range(start, len(lines)) if lines[i].strip() == tail), None)
    if end is None:
        raise SystemExit(f"extract: {name}: no line {tail!r} after {head!r}")
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    base = len(frag[0]) - len(frag[0].lstrip())
    moved = [indent + l[base:] if l.strip() else "" for l in frag]
    return "\n".join(lines[:start] + moved + lines[end + 1:]) + "\n"


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: extract.py SEED_FILE OUT_DIR")
    seed, out = sys.argv[1], sys.argv[2]
    with open(seed, encoding="utf-8") as f:
        lines = section(f.read().splitlines())

    app_listings, templates, log = [], {}, []
    for name, block in blocks(lines):
        text = "\n".join(block) + "\n"
        name = name.removeprefix("flask_app/")
        if name == "app.py":
            app_listings.append(text)
            log.append(f"app.py: {len(block)} lines")
        elif name.startswith("templates/"):
            t = name.removeprefix("templates/")
            if block[0].lstrip().startswith(("{% extends", "<!DOCTYPE")):
                templates[t] = text
                log.append(f"{name}: whole file, {len(block)} lines")
            else:
                if t not in templates:
                    raise SystemExit(f"extract: an edit of {name} before the file")
                templates[t] = splice(templates[t], text, name)
                log.append(f"{name}: edit of {block[0].strip()} ... {block[-1].strip()}")
        else:
            raise SystemExit(f"extract: unexpected file {name}")

    app_py = build_app(app_listings)

    # The app must be the tutorial's: five views, five templates, the form.
    tree = ast.parse(app_py)
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    missing = [v for v in VIEWS if v not in names] + [t for t in TEMPLATES if t not in templates]
    missing += [f"create.html field {f}" for f in CREATE_FIELDS
                if f'name="{f}"' not in templates.get("create.html", "")]
    if "request.method == 'POST'" not in app_py:
        missing.append("the create view's POST handling")
    if missing:
        raise SystemExit("extract: not found in the tutorial: " + ", ".join(missing))

    os.makedirs(os.path.join(out, "templates"), exist_ok=True)
    with open(os.path.join(out, "app.py"), "w", encoding="utf-8") as f:
        f.write(app_py)
    for t, text in templates.items():
        with open(os.path.join(out, "templates", t), "w", encoding="utf-8") as f:
            f.write(text)
    for entry in log:
        print(f"extract: {entry}", file=sys.stderr)
    print(f"extract: wrote app.py (views: {', '.join(sorted(names))}) and "
          f"{len(templates)} templates to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
