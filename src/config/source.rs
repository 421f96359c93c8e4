//! The one precedence of every key: the environment, then the config file, then the
//! default. Empty values count as unset. The typed readers here (flags, URLs, whole
//! numbers, intervals) say in their errors which key was wrong and where its value came
//! from.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::de::DeserializeOwned;
use url::Url;

use super::ConfigError;
use super::file::ConfigFile;

/// Where values come from: the environment and the config file.
pub(super) struct Source<'a> {
    file: ConfigFile<'a>,
    /// How the file is named in messages.
    label: String,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Source<'a> {
    /// `label` names the file in messages (`config file PATH`, or `the config file`).
    pub fn new(
        file: ConfigFile<'a>,
        label: String,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Self {
        Source { file, label, env }
    }

    /// How the file is named in messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The folder of the config file read, if any: a relative path in the file is taken
    /// from there.
    pub fn file_dir(&self) -> Option<&std::path::Path> {
        self.file.path().and_then(std::path::Path::parent)
    }

    /// The config file's `[key]` (its default when absent).
    pub fn section<T: DeserializeOwned + Default>(
        &self,
        key: &'static str,
    ) -> Result<T, ConfigError> {
        self.file.section(key)
    }

    /// Every section was read: the file read, if any, or a section nobody took.
    pub fn finish(self) -> Result<Option<std::path::PathBuf>, ConfigError> {
        let path = self.file.path().map(|p| p.to_owned());
        self.file.finish()?;
        Ok(path)
    }

    /// The value and where it came from: the environment variable `env`, else the file.
    pub fn pick(&self, env: &str, file_value: Option<String>) -> Option<(String, String)> {
        (self.env)(env)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, format!("environment variable {env}")))
            .or_else(|| {
                file_value
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (v, self.label.clone()))
            })
    }

    /// A true/false setting (`true`, `false`, `1`, `0`, `yes`, `no`); false when unset.
    pub fn flag(
        &self,
        key: &'static str,
        env: &str,
        file_value: Option<bool>,
    ) -> Result<bool, ConfigError> {
        match self.pick(env, file_value.map(|b| b.to_string())) {
            None => Ok(false),
            Some((text, from)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(ConfigError::Invalid {
                    key,
                    value: text,
                    from,
                    detail: "true or false".into(),
                }),
            },
        }
    }

    /// An `http://` or `https://` URL with a host.
    pub fn url(
        &self,
        key: &'static str,
        env: &str,
        file_value: Option<String>,
        default: &str,
    ) -> Result<Url, ConfigError> {
        let (value, from) = self
            .pick(env, file_value)
            .unwrap_or_else(|| (default.to_owned(), "the default".to_owned()));
        let url = Url::parse(value.trim()).map_err(|e| ConfigError::Invalid {
            key,
            value: value.clone(),
            from: from.clone(),
            detail: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid {
                key,
                value,
                from,
                detail: "expected an http:// or https:// URL".into(),
            });
        }
        Ok(url)
    }

    /// A URL of a service we send secrets to: `https://` unless it is on loopback.
    pub fn secret_url(
        &self,
        key: &'static str,
        env: &str,
        file_value: Option<String>,
        default: &str,
    ) -> Result<Url, ConfigError> {
        let url = self.url(key, env, file_value.clone(), default)?;
        if url.scheme() == "http" && !is_loopback_host(&url) {
            let from = self
                .pick(env, file_value)
                .map(|(_, f)| f)
                .unwrap_or_else(|| "the default".into());
            return Err(ConfigError::Invalid {
                key,
                value: url.to_string(),
                from,
                detail: "must be https:// unless it is a loopback address: the client secret, PKCE verifiers, refresh tokens and the Blaxel key travel to it".into(),
            });
        }
        Ok(url)
    }

    /// A whole number of at least 1: the environment, the file, else `default`.
    pub fn positive(
        &self,
        key: &'static str,
        env: &str,
        file: Option<u32>,
        default: u32,
    ) -> Result<NonZeroU32, ConfigError> {
        match self.pick(env, file.map(|v| v.to_string())) {
            None => Ok(NonZeroU32::new(default).unwrap_or(NonZeroU32::MIN)),
            Some((text, from)) => {
                text.trim()
                    .parse::<NonZeroU32>()
                    .map_err(|_| ConfigError::Invalid {
                        key,
                        value: text.clone(),
                        from,
                        detail: "expected a whole number of at least 1".into(),
                    })
            }
        }
    }

    /// Time between rounds of a background task: a duration of at least 1s, or `off`
    /// (`None`); `default` when unset. `detail` says what is expected, given the parse
    /// error when the text is no duration at all.
    pub fn interval(
        &self,
        key: &'static str,
        env: &str,
        file: Option<String>,
        default: Duration,
        detail: impl Fn(Option<humantime::DurationError>) -> String,
    ) -> Result<Option<Duration>, ConfigError> {
        match self.pick(env, file) {
            Some((text, _)) if text.trim().eq_ignore_ascii_case("off") => Ok(None),
            picked => at_least_a_second(key, picked, default, detail).map(Some),
        }
    }

    /// A duration of at least 1s; `default` when unset (see [`Source::interval`]).
    pub fn duration(
        &self,
        key: &'static str,
        env: &str,
        file: Option<String>,
        default: Duration,
        detail: impl Fn(Option<humantime::DurationError>) -> String,
    ) -> Result<Duration, ConfigError> {
        at_least_a_second(key, self.pick(env, file), default, detail)
    }
}

/// `(text, where it came from)` as a duration of at least 1s; `default` when unset.
fn at_least_a_second(
    key: &'static str,
    picked: Option<(String, String)>,
    default: Duration,
    detail: impl Fn(Option<humantime::DurationError>) -> String,
) -> Result<Duration, ConfigError> {
    let Some((text, from)) = picked else {
        return Ok(default);
    };
    let wrong = match humantime::parse_duration(text.trim()) {
        Ok(d) if d >= Duration::from_secs(1) => return Ok(d),
        Ok(_) => detail(None),
        Err(e) => detail(Some(e)),
    };
    Err(ConfigError::Invalid {
        key,
        value: text,
        from,
        detail: wrong,
    })
}

/// An `address:port` to listen on, from `(text, where it came from)`.
pub(super) fn socket_addr(
    key: &'static str,
    (text, from): (String, String),
    example: &str,
) -> Result<std::net::SocketAddr, ConfigError> {
    text.trim().parse().map_err(|e| ConfigError::Invalid {
        key,
        value: text.clone(),
        from,
        detail: format!("{e}; expected address:port such as {example}"),
    })
}

/// A URL whose host is `localhost` or a loopback address.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => is_loopback_name(d),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A host as written that is `localhost` (any case) or a loopback address (IPv6 without
/// its brackets).
pub fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
