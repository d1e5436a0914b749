//! `/activity/`: the whole audit log, for admins, filtered by account,
//! action and days, newest first, in pages cut by id (see
//! [`crate::audit::listing`]).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::history::{EventView, describe};
use super::respond::render;
use super::session::Admin;
use super::{AppError, Page, page, read};
use crate::accounts::queries as accounts;
use crate::audit::{self, Action, ActivityParams, ActivityQuery, Cursor};
use crate::database::{Database, DbError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/activity/", "GET, HEAD").route(read().to(activity)));
}

#[derive(Template)]
#[template(path = "activity/index.html")]
struct ActivityPage {
    page: Page,
    events: Vec<EventView>,
    show_subject: bool,
    /// The filter form's choices, each with whether it is the one chosen.
    accounts: Vec<Choice>,
    actions: Vec<Choice>,
    from: String,
    to: String,
    filtered: bool,
    newer_href: Option<String>,
    older_href: Option<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The query as sent; [`ActivityParams::parse`] makes sense of it.
#[derive(Deserialize)]
pub struct RawQuery {
    user: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    after: Option<String>,
    per_page: Option<String>,
}

async fn activity(
    _admin: Admin,
    db: web::Data<Database>,
    page: Page,
    query: web::Query<RawQuery>,
) -> Result<HttpResponse, AppError> {
    let params = ActivityParams::parse(ActivityQuery {
        user: query.user.as_deref(),
        action: query.action.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        before: query.before.as_deref(),
        after: query.after.as_deref(),
        per_page: query.per_page.as_deref(),
    });
    let listed = params.clone();
    let (users, listing) = db
        .run(move |conn| {
            let users = accounts::list(conn)?;
            let listing = audit::list(conn, &listed.filter, listed.cursor, listed.per_page)?;
            Ok::<_, DbError>((users, listing))
        })
        .await?;
    let filter = &params.filter;
    let href = |cursor| format!("/activity/?{}", params.query_string(cursor));
    let view = ActivityPage {
        page,
        events: listing.events.iter().map(EventView::new).collect(),
        show_subject: true,
        accounts: users
            .iter()
            .map(|user| Choice {
                value: user.id.to_string(),
                label: user.label(),
                selected: filter.actor_user_id == Some(user.id),
            })
            .collect(),
        actions: Action::ALL
            .iter()
            .map(|action| Choice {
                value: action.as_str().to_owned(),
                label: describe(*action).to_owned(),
                selected: filter.action == Some(*action),
            })
            .collect(),
        from: filter.from.map(|day| day.to_string()).unwrap_or_default(),
        to: filter.to.map(|day| day.to_string()).unwrap_or_default(),
        filtered: *filter != audit::ActivityFilter::default(),
        newer_href: listing.newer.map(|id| href(Cursor::After(id))),
        older_href: listing.older.map(|id| href(Cursor::Before(id))),
    };
    render(actix_web::http::StatusCode::OK, &view)
}
