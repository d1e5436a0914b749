//! One labelled input of a form, as `templates/partials/input_field.html`
//! renders it: with its hint, and its error next to it; and what a form's
//! error summary (`templates/partials/error_summary.html`) says.

#[derive(Debug, Clone)]
pub struct InputField {
    pub name: &'static str,
    pub label: &'static str,
    pub input_type: &'static str,
    /// `numeric` for a number typed as text; empty leaves it to the type.
    pub input_mode: &'static str,
    pub autocomplete: &'static str,
    /// What the person typed, shown again; passwords never are.
    pub value: String,
    pub hint: String,
    pub error: Option<String>,
    pub required: bool,
    /// A star after the label when required: for forms where some fields
    /// are optional. Where every field is required, none needs one.
    pub starred: bool,
    /// A `<textarea>` rather than an `<input>`.
    pub multiline: bool,
}

impl InputField {
    pub fn new(name: &'static str, label: &'static str, input_type: &'static str) -> Self {
        Self {
            name,
            label,
            input_type,
            input_mode: "",
            autocomplete: "off",
            value: String::new(),
            hint: String::new(),
            error: None,
            required: true,
            starred: false,
            multiline: false,
        }
    }

    pub fn autocomplete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = autocomplete;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    /// For a form that mixes required and optional fields: whether this one
    /// must be filled, starred on its label if so.
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self.starred = required;
        self
    }

    /// A whole number typed as text: phones show digits. Not `type=number`,
    /// which silently drops what is not a number, so the user would never
    /// see why it was refused.
    pub fn numeric(mut self) -> Self {
        self.input_mode = "numeric";
        self
    }

    pub fn multiline(mut self) -> Self {
        self.multiline = true;
        self
    }

    /// The ids the input is described by: its hint and its error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

/// The message for `field` among a form's `errors`, if any.
pub fn error_for(errors: &[(&'static str, String)], field: &str) -> Option<String> {
    errors
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, message)| message.clone())
}

/// The heading of a form's error summary: "2 problems prevent `prevents`".
pub fn problem_count(count: usize, prevents: &str) -> String {
    match count {
        1 => format!("1 problem prevents {prevents}"),
        n => format!("{n} problems prevent {prevents}"),
    }
}
