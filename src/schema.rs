// @generated automatically by Diesel CLI.

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
    }
}
