//! The config file: read once, parsed once with the positions of its keys kept, and handed
//! out a `[section]` at a time to the resolver that owns it. A key inside a section that
//! the section does not know is an error, and so is a section no resolver took. Errors say
//! where (line and column) but never quote the file: it may hold secrets, and the text ends
//! up on a terminal or in a journal.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, ValueDeserializer};

use super::ConfigError;

/// The text of the config file at `path`, if there is one: a missing file is no error
/// unless it was `required` (named by the operator).
pub(super) fn read(path: Option<&Path>, required: bool) -> Result<Option<String>, ConfigError> {
    let Some(p) = path else {
        return Ok(None);
    };
    match std::fs::read_to_string(p) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(error) => Err(ConfigError::Read {
            path: p.to_owned(),
            error,
        }),
    }
}

/// The sections of a parsed file, each taken once.
pub(super) struct ConfigFile<'t> {
    /// The file read (`None`: none, every section is its default).
    path: Option<PathBuf>,
    text: &'t str,
    sections: RefCell<DeTable<'t>>,
    /// The sections asked for, in order (named when an unknown one is refused).
    taken: RefCell<Vec<&'static str>>,
}

impl<'t> ConfigFile<'t> {
    /// Parse `text`, read from `path`; no text: an empty file.
    pub fn parse(path: Option<&Path>, text: Option<&'t str>) -> Result<Self, ConfigError> {
        let (path, text) = match (path, text) {
            (Some(p), Some(t)) => (Some(p.to_owned()), t),
            _ => (None, ""),
        };
        let mut file = ConfigFile {
            path,
            text,
            sections: RefCell::default(),
            taken: RefCell::default(),
        };
        let table = DeTable::parse(text).map_err(|e| file.error(&e))?;
        file.sections = RefCell::new(table.into_inner());
        Ok(file)
    }

    /// The file read, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// `[key]` as its resolver reads it; its default when the file has none.
    pub fn section<T: DeserializeOwned + Default>(
        &self,
        key: &'static str,
    ) -> Result<T, ConfigError> {
        self.taken.borrow_mut().push(key);
        let Some(value) = self.sections.borrow_mut().remove(key) else {
            return Ok(T::default());
        };
        T::deserialize(ValueDeserializer::from(value)).map_err(|e| self.error(&e))
    }

    /// Every section was taken: a key left over is not one this release knows.
    pub fn finish(self) -> Result<(), ConfigError> {
        let sections = self.sections.borrow();
        let Some((key, _)) = sections.iter().min_by_key(|(k, _)| k.span().start) else {
            return Ok(());
        };
        let expected: Vec<String> = self
            .taken
            .borrow()
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        let message = format!(
            "unknown field `{}`, expected one of {}",
            key.get_ref(),
            expected.join(", ")
        );
        Err(self.refused(Some(key.span()), &message))
    }

    fn error(&self, e: &toml::de::Error) -> ConfigError {
        self.refused(e.span(), e.message())
    }

    /// Where and what, without the offending line.
    fn refused(&self, span: Option<std::ops::Range<usize>>, message: &str) -> ConfigError {
        let text = self.text;
        let at = span
            .map(|span| {
                let before = text.get(..span.start).unwrap_or(text);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("line {line}, column {column}: ")
            })
            .unwrap_or_default();
        ConfigError::Parse {
            path: self.path.clone().unwrap_or_default(),
            detail: format!("{at}{}", message.trim()),
        }
    }
}
