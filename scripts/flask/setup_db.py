#!/usr/bin/env python3
"""Create the tutorial app's table and give it the Rust app's students.

    setup_db.py APP_DIR RUST_DB

Does what the tutorial does from the Flask shell (Step 2: "from app import
db, Student", "db.create_all()", then Student(...) objects added to
db.session and committed), inside an application context, which
Flask-SQLAlchemy 3 requires outside the shell. The students are those of the
Rust app's database RUST_DB (read only): same ids, names, emails, ages, bios
and creation times, so both apps serve the same rows and the same student
page URLs. (The Rust app's extra columns, such as city, have no place in the
tutorial's model and are left out.)

Prints the number of students in the Flask app's database.
"""
import sqlite3
import sys
from datetime import datetime


def when(text):
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # the column's server default (CURRENT_TIMESTAMP)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: setup_db.py APP_DIR RUST_DB")
    app_dir, rust_db = sys.argv[1], sys.argv[2]
    sys.path.insert(0, app_dir)
    from app import app, db, Student  # the extracted tutorial app

    source = sqlite3.connect(f"file:{rust_db}?mode=ro", uri=True)
    rows = source.execute(
        "SELECT id, firstname, lastname, email, age, bio, created_at FROM students ORDER BY id"
    ).fetchall()
    source.close()

    with app.app_context():
        db.drop_all()
        db.create_all()
        for id_, firstname, lastname, email, age, bio, created_at in rows:
            db.session.add(Student(id=id_, firstname=firstname, lastname=lastname,
                                   email=email, age=age, bio=bio,
                                   created_at=when(created_at)))
        db.session.commit()
        print(Student.query.count())


if __name__ == "__main__":
    main()
