//! Students to type in, and the steps a person takes to add one.

use crate::browser::Browser;

pub struct Person {
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub age: &'static str,
    pub bio: &'static str,
    pub city: &'static str,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// Types every field into the form shown, by its label.
    pub async fn fill_in(&self, browser: &Browser) {
        browser.fill("First name", self.first_name).await;
        browser.fill("Last name", self.last_name).await;
        browser.fill("Email", self.email).await;
        browser.fill("Age", self.age).await;
        browser.fill("Bio", self.bio).await;
        browser.fill("City", self.city).await;
    }
}

pub const SAMMY: Person = Person {
    first_name: "Sammy",
    last_name: "Shark",
    email: "sammyshark@example.com",
    age: "20",
    bio: "Marine biology student",
    city: "Lisbon",
};

pub const CARL: Person = Person {
    first_name: "Carl",
    last_name: "White",
    email: "carl.white.with.a.rather.long.address@students.example-school.org",
    age: "",
    bio: "",
    city: "",
};

/// From any page: "Add student", fill the form, submit. Ends on the new
/// student's page; returns the flash message shown there.
pub async fn add_student(browser: &Browser, person: &Person) -> String {
    browser.click_link("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    person.fill_in(browser).await;
    browser.click_button("Add student").await;
    browser.wait_for_heading(&person.full_name()).await;
    browser.flash().await
}
