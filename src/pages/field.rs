//! One labelled input of a form, as `templates/partials/input_field.html`
//! renders it: with its hint, and its error next to it.

#[derive(Debug, Clone)]
pub struct InputField {
    pub name: &'static str,
    pub label: &'static str,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    /// What the person typed, shown again; passwords never are.
    pub value: String,
    pub hint: &'static str,
    pub error: Option<String>,
}

impl InputField {
    pub fn new(name: &'static str, label: &'static str, input_type: &'static str) -> Self {
        Self {
            name,
            label,
            input_type,
            autocomplete: "off",
            value: String::new(),
            hint: "",
            error: None,
        }
    }

    pub fn autocomplete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = autocomplete;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
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
