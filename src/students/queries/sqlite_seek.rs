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
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
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
        }
    }
}

const COLUMNS: &str =
    "id, firstname, lastname, email, age, bio, city, version, created_at, updated_at";

enum Value {
    Text(String),
    Int(i32),
    Time(NaiveDateTime),
    Count(i64),
}

/// One column of a sort key: its expression, exactly as the index holds
/// it (or the index is not used), how a value is compared with it, and the
/// cursor's value.
struct Column {
    expression: &'static str,
    placeholder: &'static str,
    value: Value,
}

fn columns(row: &SortValues) -> Vec<Column> {
    let column = |expression, placeholder, value| Column {
        expression,
        placeholder,
        value,
    };
    let id = |id: i32| column("id", "?", Value::Int(id));
    match row {
        SortValues::Name {
            lastname,
            firstname,
            id: row_id,
        } => vec![
            column("lower(lastname)", "lower(?)", Value::Text(lastname.clone())),
            column(
                "lower(firstname)",
                "lower(?)",
                Value::Text(firstname.clone()),
            ),
            id(*row_id),
        ],
        SortValues::Email { email } => vec![column(
            "lower(email)",
            "lower(?)",
            Value::Text(email.clone()),
        )],
        SortValues::Age { age, id: row_id } => vec![
            column("coalesce(age, 0)", "?", Value::Int(age.unwrap_or(NO_AGE))),
            id(*row_id),
        ],
        SortValues::City { city, id: row_id } => vec![
            column(
                "coalesce(lower(city), '')",
                "lower(?)",
                Value::Text(city.clone().unwrap_or_default()),
            ),
            id(*row_id),
        ],
        SortValues::Joined {
            created_at,
            id: row_id,
        } => vec![
            column("created_at", "?", Value::Time(*created_at)),
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
    let columns = columns(row);
    let (beyond, direction) = match scan {
        Direction::Asc => (">", "ASC"),
        Direction::Desc => ("<", "DESC"),
    };
    let mut parts = Vec::with_capacity(columns.len());
    let mut binds: Vec<&Value> = Vec::new();
    let enough = Value::Count(skip + limit);
    // The rows sharing the most values with the position come first.
    for depth in (0..columns.len()).rev() {
        let mut terms = Vec::with_capacity(depth + 1);
        for column in &columns[..depth] {
            terms.push(format!("{} = {}", column.expression, column.placeholder));
            binds.push(&column.value);
        }
        let ranged = &columns[depth];
        terms.push(format!(
            "{} {beyond} {}",
            ranged.expression, ranged.placeholder
        ));
        binds.push(&ranged.value);
        // Ordered by the columns not fixed by an equality, which SQLite
        // sees the index already serves (naming the fixed ones too would
        // make it sort the range).
        let order: Vec<String> = columns[depth..]
            .iter()
            .map(|column| format!("{} {direction}", column.expression))
            .collect();
        parts.push(format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM students WHERE {} ORDER BY {} LIMIT ?)",
            terms.join(" AND "),
            order.join(", ")
        ));
        binds.push(&enough);
    }
    let sql = format!("{} LIMIT ? OFFSET ?", parts.join(" UNION ALL "));
    let (limit, skip) = (Value::Count(limit), Value::Count(skip));
    binds.push(&limit);
    binds.push(&skip);
    let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
    for value in binds {
        query = match value {
            Value::Text(text) => query.bind::<Text, _>(text.clone()),
            Value::Int(number) => query.bind::<Integer, _>(*number),
            Value::Time(time) => query.bind::<Timestamp, _>(*time),
            Value::Count(count) => query.bind::<BigInt, _>(*count),
        };
    }
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows.into_iter().map(Student::from).collect())
}
