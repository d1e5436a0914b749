// @generated automatically by Diesel CLI.

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        scope -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Integer,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Integer>,
        actor_label -> Text,
        address -> Nullable<Text>,
        action -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Integer>,
        details -> Text,
    }
}

diesel::table! {
    courses (id) {
        id -> Integer,
        code -> Text,
        title -> Text,
        description -> Nullable<Text>,
        credits -> Nullable<Integer>,
        capacity -> Nullable<Integer>,
        enrolled_count -> Integer,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        class_size -> Integer,
    }
}

diesel::table! {
    courses_count (id) {
        id -> Integer,
        total -> BigInt,
        open -> BigInt,
    }
}

diesel::table! {
    enrolments (id) {
        id -> Integer,
        student_id -> Integer,
        course_id -> Integer,
        enrolled_on -> Date,
        status -> Text,
        withdrawn_on -> Nullable<Date>,
        sort_lastname -> Text,
        sort_firstname -> Text,
        student_firstname -> Text,
        student_lastname -> Text,
        student_email -> Text,
    }
}

diesel::table! {
    health_probe (id) {
        id -> Integer,
        checks -> BigInt,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Text,
        user_id -> Nullable<Integer>,
        state -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Integer,
        account -> Nullable<Text>,
        address -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    students (id) {
        id -> Integer,
        firstname -> Text,
        lastname -> Text,
        email -> Text,
        age -> Nullable<Integer>,
        bio -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        city -> Nullable<Text>,
        current_courses -> Integer,
    }
}

diesel::table! {
    students_count (id) {
        id -> Integer,
        total -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        display_name -> Text,
        role -> Text,
        active -> Bool,
        password_hash -> Text,
        created_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(enrolments -> courses (course_id));
diesel::joinable!(enrolments -> students (student_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    audit_events,
    courses,
    courses_count,
    enrolments,
    health_probe,
    sessions,
    sign_in_failures,
    students,
    students_count,
    users,
);
