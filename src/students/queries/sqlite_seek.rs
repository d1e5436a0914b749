//! SQLite's seek in the whole table. Its planner starts an index range at
//! one column's value only (a row value compared with expression-index
//! columns gets no index at all), so a position inside a run of equal
//! first values (4,000 students share a surname at 100,000; 11,000 have no
//! age) would be found by testing every row of the run before it. Here the
//! position is instead the union, in order, of one exact index range per
//! column: the rows equal on every column but the id and past it, then
//! those equal on all but the last two and past it on the next, and so on.
//! Each range is read in index order and stops at the page's end.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Integer, Text, Timestamp, Untyped};
use diesel::sqlite::Sqlite;

use super::NO_AGE;
use crate::schema::students;
use crate::students::listing::{Direction, SortValues};
use crate::students::model::Student;

/// A student as the raw statement below returns one.
#[derive(QueryableByName)]
#[diesel(table_name = students)]
struct Row {
    id: i32,
    firstname: String,
    lastname: String,
    email: String,
    age: Option<i32>,
    bio: Option<String>,
    city: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    current_courses: i32,
}

impl From<Row> for Student {
    fn from(row: Row) -> Self {
        Student {
            id: row.id,
            firstname: row.firstname,
            lastname: row.lastname,
            email: row.email,
            age: row.age,
            bio: row.bio,
            city: row.city,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            current_courses: row.current_courses,
        }
    }
}

const COLUMNS: &str = "id, firstname, lastname, email, age, bio, city, version, created_at, \
                       updated_at, current_courses";

enum Value {
    Text(String),
    Int(i32),
    Time(NaiveDateTime),
}

/// One column of a sort key: its expression, exactly as the index holds
/// it (or the index is not used), the cursor's value, and whether the value
/// is lowered to compare with it.
struct Column {
    expression: &'static str,
    lowered: bool,
    value: Value,
}

fn columns(row: &SortValues) -> Vec<Column> {
    let column = |expression, lowered, value| Column {
        expression,
        lowered,
        value,
    };
    let id = |id: i32| column("id", false, Value::Int(id));
    match row {
        SortValues::Name {
            lastname,
            firstname,
            id: row_id,
        } => vec![
            column("lower(lastname)", true, Value::Text(lastname.clone())),
            column("lower(firstname)", true, Value::Text(firstname.clone())),
            id(*row_id),
        ],
        SortValues::Email { email } => {
            vec![column("lower(email)", true, Value::Text(email.clone()))]
        }
        SortValues::Age { age, id: row_id } => vec![
            column("coalesce(age, 0)", false, Value::Int(age.unwrap_or(NO_AGE))),
            id(*row_id),
        ],
        SortValues::City { city, id: row_id } => vec![
            column(
                "coalesce(lower(city), '')",
                true,
                Value::Text(city.clone().unwrap_or_default()),
            ),
            id(*row_id),
        ],
        SortValues::Joined {
            created_at,
            id: row_id,
        } => vec![
            column("created_at", false, Value::Time(*created_at)),
            id(*row_id),
        ],
    }
}

/// `limit` rows after skipping `skip`, past `row`'s position scanning in
/// direction `scan`, in that order: one statement.
pub fn page(
    conn: &mut SqliteConnection,
    row: &SortValues,
    scan: Direction,
    skip: i64,
    limit: i64,
) -> QueryResult<Vec<Student>> {
    let statement = Seek {
        columns: columns(row),
        scan,
        skip,
        limit,
        enough: skip + limit,
    };
    let rows: Vec<Row> = statement.load(conn)?;
    Ok(rows.into_iter().map(Student::from).collect())
}

/// The statement of [`page`]. Its text depends only on the sort key and
/// direction, so SQLite's prepared statement is kept and reused (a
/// `sql_query` would be prepared again on every page).
struct Seek {
    columns: Vec<Column>,
    scan: Direction,
    skip: i64,
    limit: i64,
    /// What each part reads at most.
    enough: i64,
}

impl QueryId for Seek {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Seek {
    type SqlType = Untyped;
}

impl RunQueryDsl<SqliteConnection> for Seek {}

impl QueryFragment<Sqlite> for Seek {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let (beyond, direction) = match self.scan {
            Direction::Asc => (" > ", " ASC"),
            Direction::Desc => (" < ", " DESC"),
        };
        let columns = &self.columns;
        // The rows sharing the most values with the position come first
        // (SQLite runs the parts of a UNION ALL in order: long-standing but
        // undocumented, so tests/app/keyset.rs checks every sort's order).
        for depth in (0..columns.len()).rev() {
            if depth + 1 < columns.len() {
                out.push_sql(" UNION ALL ");
            }
            out.push_sql("SELECT * FROM (SELECT ");
            out.push_sql(COLUMNS);
            out.push_sql(" FROM students WHERE ");
            for column in &columns[..depth] {
                out.push_sql(column.expression);
                out.push_sql(" = ");
                column.push_value(out.reborrow())?;
                out.push_sql(" AND ");
            }
            let ranged = &columns[depth];
            out.push_sql(ranged.expression);
            out.push_sql(beyond);
            ranged.push_value(out.reborrow())?;
            // Ordered by the columns no equality fixes, which SQLite sees
            // the index already serves (naming the fixed ones too would
            // make it sort the range).
            out.push_sql(" ORDER BY ");
            for (n, column) in columns[depth..].iter().enumerate() {
                if n > 0 {
                    out.push_sql(", ");
                }
                out.push_sql(column.expression);
                out.push_sql(direction);
            }
            out.push_sql(" LIMIT ");
            out.push_bind_param::<BigInt, _>(&self.enough)?;
            out.push_sql(")");
        }
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.limit)?;
        out.push_sql(" OFFSET ");
        out.push_bind_param::<BigInt, _>(&self.skip)?;
        Ok(())
    }
}

impl Column {
    /// The cursor's value, as the column's expression compares it.
    fn push_value<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let lowered = self.lowered;
        if lowered {
            out.push_sql("lower(");
        }
        match &self.value {
            Value::Text(text) => out.push_bind_param::<Text, _>(text)?,
            Value::Int(number) => out.push_bind_param::<Integer, _>(number)?,
            Value::Time(time) => out.push_bind_param::<Timestamp, _>(time)?,
        }
        if lowered {
            out.push_sql(")");
        }
        Ok(())
    }
}
