//! Secrets taken out of text that comes back from upstream (Blaxel's and Google's answers,
//! transport errors) before it is stored, shown, logged or sent: a front end or proxy that
//! echoes the request must not put our credentials into a tenant's reason, its timeline,
//! a webhook, the database or a backup. This is the one place that rule lives; the
//! clients apply it to every error they make, with the secrets of the request at hand.
//!
//! Each secret is looked for as it is, JSON-escaped (once and twice, and with `\/`), and
//! URL-encoded (form style and percent style, either case); any `Bearer <token>` goes too.
//! Every copy made on the way (the forms, the text before a form is taken out) is wiped
//! when dropped.

use std::cmp::Reverse;

use zeroize::Zeroizing;

/// A string wiped from memory when dropped.
type Wiped = Zeroizing<String>;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";
/// Shorter values are not looked for: they would cut ordinary words out of a message.
const MIN_SECRET_CHARS: usize = 6;

/// The secrets of one request, ready to be taken out of what came back.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first (a form may contain a shorter one).
    needles: Vec<Wiped>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.needles.len())
    }
}

/// Redactors made on this thread, for tests that check none is made where none is needed.
#[cfg(test)]
pub fn built_here() -> usize {
    BUILT.with(std::cell::Cell::get)
}

#[cfg(test)]
thread_local! {
    static BUILT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        #[cfg(test)]
        BUILT.with(|b| b.set(b.get() + 1));
        let mut needles = Vec::new();
        for s in secrets {
            if s.chars().count() >= MIN_SECRET_CHARS {
                needles.extend(forms_of(s));
            }
        }
        needles.sort_by(|a, b| (Reverse(a.len()), a.as_str()).cmp(&(Reverse(b.len()), b.as_str())));
        needles.dedup();
        Self { needles }
    }

    /// `text` with every form of every secret, and any bearer token, replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = Wiped::new(text.to_owned());
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = Wiped::new(out.replace(n.as_str(), REDACTED));
            }
        }
        redact_bearer(&out)
    }

    pub fn redact_opt(&self, text: Option<String>) -> Option<String> {
        text.map(|t| self.redact(&t))
    }
}

/// The ways a secret can be written in an echo of a request.
fn forms_of(s: &str) -> Vec<Wiped> {
    let json = json_escaped(s);
    let form = Wiped::new(url::form_urlencoded::byte_serialize(s.as_bytes()).collect());
    let percent = percent_encoded(s);
    vec![
        Wiped::new(s.to_owned()),
        json_escaped(&json),
        Wiped::new(json.replace('/', "\\/")),
        json,
        Wiped::new(form.replace('+', "%20")),
        form,
        lower_hex(&percent),
        percent,
    ]
}

fn json_escaped(s: &str) -> Wiped {
    let quoted = Wiped::new(serde_json::to_string(s).unwrap_or_default());
    Wiped::new(
        quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or(s)
            .to_owned(),
    )
}

/// Every byte but RFC 3986's unreserved ones as `%XX`.
fn percent_encoded(s: &str) -> Wiped {
    use std::fmt::Write as _;
    // Sized for the worst case up front: growing would leave unwiped copies behind.
    let mut out = Wiped::new(String::with_capacity(s.len() * 3));
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            // Written in place: no copy of the secret's byte is left elsewhere.
            let _ = write!(&mut *out, "%{b:02X}");
        }
    }
    out
}

/// `%2F` as `%2f`, the rest as it is.
fn lower_hex(percent: &str) -> Wiped {
    let mut out = Wiped::new(String::with_capacity(percent.len()));
    let mut after_percent = 0;
    for c in percent.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `Bearer <token>` (any case, any spaces) with the token replaced.
fn redact_bearer(text: &str) -> String {
    const WORD: &str = "bearer";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find(WORD) {
        let word_end = at + found + WORD.len();
        let rest = &text[word_end..];
        let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let token_len: usize = rest[spaces..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-._~+/=%".contains(*c))
            .map(char::len_utf8)
            .sum();
        out.push_str(&text[at..word_end + spaces]);
        if spaces > 0 && token_len > 0 {
            out.push_str(REDACTED);
        }
        at = word_end + spaces + if spaces > 0 { token_len } else { 0 };
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_form_of_a_secret_goes() {
        let secret = "1//0g a\"b/c+d=e\\f";
        let r = Redactor::new([secret]);
        let forms = [
            secret.to_owned(),
            serde_json::to_string(secret).unwrap(),
            serde_json::to_string(&serde_json::to_string(secret).unwrap()).unwrap(),
            serde_json::to_string(secret).unwrap().replace('/', "\\/"),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
            percent_encoded(secret).as_str().to_owned(),
            lower_hex(&percent_encoded(secret)).as_str().to_owned(),
        ];
        for f in forms {
            let text = format!("echo: {f} end");
            let out = r.redact(&text);
            assert!(!out.contains("0g"), "{f:?} stayed in {out:?}");
            assert!(out.contains(REDACTED) && out.starts_with("echo: "), "{out}");
        }
    }

    #[test]
    fn bearer_tokens_go_whatever_their_case_and_short_values_stay() {
        let r = Redactor::new(["abc", ""]);
        assert_eq!(
            r.redact("Authorization: Bearer bl_x.y-z/1= next; bearer  t0k"),
            "Authorization: Bearer [redacted] next; bearer  [redacted]"
        );
        assert_eq!(r.redact("abc bearers Bearer"), "abc bearers Bearer");
        assert_eq!(r.redact("é Bearer ü"), "é Bearer ü");
    }

    proptest! {
        #[test]
        fn no_secret_survives_in_any_of_its_forms(
            secret in "[ -~]{6,24}",
            before in "\\PC{0,20}",
            after in "\\PC{0,20}",
            form in 0usize..8,
        ) {
            let r = Redactor::new([secret.as_str()]);
            let f = forms_of(&secret)[form].as_str().to_owned();
            let out = r.redact(&format!("{before}{f}{after}"));
            prop_assert!(!out.contains(&f), "{out:?}");
        }
    }
}
