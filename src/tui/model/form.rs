//! The add and edit forms. Each field is addressed by its key, never by the label it shows.

use tui_input::Input;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Add,
    Edit(String),
}

/// Which field of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKey {
    Slug,
    DisplayName,
    Contact,
    ExpectedEmail,
    ExpectedDomain,
    Language,
    LinkLifetime,
}

impl FieldKey {
    /// What the form shows beside it.
    pub fn label(self) -> &'static str {
        match self {
            FieldKey::Slug => "Slug",
            FieldKey::DisplayName => "Display name",
            FieldKey::Contact => "Contact",
            FieldKey::ExpectedEmail => "Expected email",
            FieldKey::ExpectedDomain => "Expected domain",
            FieldKey::Language => "Language",
            FieldKey::LinkLifetime => "Link lifetime",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub key: FieldKey,
    pub input: Input,
    pub help: &'static str,
    pub error: Option<String>,
}

impl Field {
    pub fn new(key: FieldKey, help: &'static str, value: &str) -> Self {
        Self {
            key,
            input: Input::new(value.to_owned()),
            help,
            error: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
}

impl Form {
    /// The text of field `key` (empty when the form has no such field).
    pub fn value(&self, key: FieldKey) -> &str {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map_or("", |f| f.input.value())
    }

    pub fn field_mut(&mut self, key: FieldKey) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.key == key)
    }

    pub fn focused_mut(&mut self) -> Option<&mut Field> {
        self.fields.get_mut(self.focus)
    }
}
