//! Every language is held to English: the same messages and attributes, each formatting
//! without a Fluent error with the variables English documents above it; the message
//! templates carry the same placeholders.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

use super::bundles::{Bundle, build, bundles, format, text_in};
use super::*;

/// Message (and term) ids of a Fluent source, each with its attributes' names.
fn shape(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = match fluent_syntax::parser::parse(source) {
        Ok(r) => r,
        Err((_, errors)) => panic!("syntax errors: {errors:#?}"),
    };
    let mut out = BTreeMap::new();
    for entry in resource.body {
        let (id, attributes) = match entry {
            ast::Entry::Message(m) => (m.id.name.to_owned(), m.attributes),
            ast::Entry::Term(t) => (format!("-{}", t.id.name), t.attributes),
            _ => continue,
        };
        let names = attributes.iter().map(|a| a.id.name.to_owned()).collect();
        assert!(out.insert(id.clone(), names).is_none(), "{id} twice");
    }
    out
}

/// A documented variable: its name and the values to try.
#[derive(Debug)]
enum Values {
    Text(Vec<String>),
    Number(Vec<i64>),
}

/// The variables English documents above each message: `#   $name (String) - ...`, with
/// `one of: a, b` listing a selector's values.
fn documented() -> BTreeMap<String, Vec<(String, Values)>> {
    let resource = fluent_syntax::parser::parse(Lang::EN.pages()).expect("English parses");
    let mut out = BTreeMap::new();
    for entry in resource.body {
        let ast::Entry::Message(m) = entry else {
            continue;
        };
        let mut vars = Vec::new();
        for line in m.comment.iter().flat_map(|c| c.content.iter()) {
            let Some(rest) = line.trim().strip_prefix('$') else {
                continue;
            };
            let (name, rest) = rest.split_once(' ').expect("`$name (Type)`");
            let listed: Option<Vec<&str>> = rest
                .split_once("one of: ")
                .map(|(_, l)| l.split(", ").collect());
            let values = if rest.starts_with("(Number)") {
                Values::Number(match listed {
                    Some(l) => l.iter().map(|v| v.parse().expect("a number")).collect(),
                    None => vec![0, 1, 2, 5, 10, 21, 2026],
                })
            } else {
                assert!(rest.starts_with("(String)"), "{line}");
                Values::Text(match listed {
                    Some(l) => l.iter().map(|v| (*v).to_owned()).collect(),
                    None => vec!["Sample <b>&amp;</b>".to_owned()],
                })
            };
            vars.push((name.to_owned(), values));
        }
        out.insert(m.id.name.to_owned(), vars);
    }
    out
}

/// Every combination of the documented values (each variable's list tried in turn against
/// the others' first values), as arguments.
fn argument_sets(vars: &[(String, Values)]) -> Vec<Vec<(String, String, Option<i64>)>> {
    let first = |v: &Values| match v {
        Values::Text(t) => (t[0].clone(), None),
        Values::Number(n) => (String::new(), Some(n[0])),
    };
    let mut sets = vec![
        vars.iter()
            .map(|(n, v)| {
                let (t, x) = first(v);
                (n.clone(), t, x)
            })
            .collect::<Vec<_>>(),
    ];
    for (i, (_, values)) in vars.iter().enumerate() {
        let alternatives: Vec<(String, Option<i64>)> = match values {
            Values::Text(t) => t.iter().map(|s| (s.clone(), None)).collect(),
            Values::Number(n) => n.iter().map(|x| (String::new(), Some(*x))).collect(),
        };
        for (t, x) in alternatives.into_iter().skip(1) {
            let mut set = sets[0].clone();
            set[i].1 = t;
            set[i].2 = x;
            sets.push(set);
        }
    }
    sets
}

fn args_of(set: &[(String, String, Option<i64>)]) -> Vec<(&str, Arg<'_>)> {
    set.iter()
        .map(|(n, t, x)| {
            let arg = match x {
                Some(x) => Arg::Number(*x),
                None => Arg::Text(t),
            };
            (n.as_str(), arg)
        })
        .collect()
}

#[test]
fn every_language_has_exactly_the_messages_and_attributes_of_english() {
    let english = shape(Lang::EN.pages());
    assert!(english.len() > 40, "{}", english.len());
    for lang in Lang::all() {
        let theirs = shape(lang.pages());
        let missing: Vec<_> = english
            .keys()
            .filter(|k| !theirs.contains_key(*k))
            .collect();
        let extra: Vec<_> = theirs
            .keys()
            .filter(|k| !english.contains_key(*k))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}, extra {extra:?}"
        );
        for (id, attributes) in &english {
            assert_eq!(&theirs[id], attributes, "{lang}: attributes of {id}");
        }
    }
}

#[test]
fn every_message_of_every_language_formats_with_the_documented_variables() {
    let documented = documented();
    let english = shape(Lang::EN.pages());
    let mut formatted = 0;
    for lang in Lang::all() {
        let bundle = &bundles()[lang.0];
        for (id, attributes) in english.iter().filter(|(id, _)| !id.starts_with('-')) {
            let vars = documented.get(id).map(Vec::as_slice).unwrap_or_default();
            let ids =
                std::iter::once(id.clone()).chain(attributes.iter().map(|a| format!("{id}.{a}")));
            for target in ids {
                for set in argument_sets(vars) {
                    let args = args_of(&set);
                    let out = format(bundle, &target, &args)
                        .unwrap_or_else(|why| panic!("{lang} {target} with {set:?}: {why}"));
                    assert!(!out.trim().is_empty(), "{lang} {target}: empty");
                    assert!(
                        !out.contains('{') && !out.contains('}'),
                        "{lang} {target}: {out}"
                    );
                    formatted += 1;
                }
            }
        }
    }
    assert!(formatted > 6 * 60, "{formatted}");
}

#[test]
fn a_message_references_only_documented_variables() {
    // Formatting with the documented variables alone errs on any other reference; the
    // test above would fail. Here: the check itself catches an undocumented one.
    let bundle = build("en", "m = { $brand } asks { $who }\n");
    let err = format(&bundle, "m", &[("brand", Arg::Text("Acme"))]).unwrap_err();
    assert!(err.contains("who"), "{err}");
}

#[test]
fn values_are_inserted_without_isolation_marks() {
    let out = text(
        Lang::EN,
        "ask",
        &[("brand", "Parcel AI".into()), ("tenant", "Acme Ltd".into())],
    );
    assert_eq!(
        out,
        "Parcel AI asks for access to your Google account, for Acme Ltd."
    );
    let ja = Lang::from_tag("ja").expect("supported");
    let out = text(
        ja,
        "ask",
        &[("brand", "Parcel AI".into()), ("tenant", "Acme".into())],
    );
    assert!(!out.contains(['\u{2068}', '\u{2069}']), "{out:?}");
    assert!(out.starts_with("Parcel AIが、Acmeのために"), "{out}");
}

#[test]
fn a_missing_message_falls_back_to_english_then_to_its_id() {
    let set: Vec<Bundle> = Lang::all()
        .map(|l| match l.tag() {
            "en" => build(
                "en",
                "both = Both\nonly-en = English only\n    .title = Title\n",
            ),
            tag => build(tag, "both = Beide\n"),
        })
        .collect();
    let de = Lang::from_tag("de").expect("supported");
    assert_eq!(text_in(&set, de, "both", &[]), "Beide");
    assert_eq!(text_in(&set, de, "only-en", &[]), "English only");
    assert_eq!(text_in(&set, de, "only-en.title", &[]), "Title");
    assert_eq!(text_in(&set, de, "nowhere", &[]), "nowhere");
    assert_eq!(text_in(&set, de, "both.nope", &[]), "both.nope");
    assert_eq!(
        text_in(&set[..1], de, "both", &[]),
        "Both",
        "no bundle for de"
    );
    // The real files: an unknown id is its own text, never a panic.
    assert_eq!(text(de, "no-such-message", &[]), "no-such-message");
}

#[test]
fn tags_names_and_lookup() {
    let tags: Vec<&str> = Lang::all().map(Lang::tag).collect();
    assert_eq!(tags, ["en", "de", "fr", "es", "pt-BR", "ja"]);
    assert_eq!(Lang::all().next(), Some(Lang::EN));
    for lang in Lang::all() {
        assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        assert_eq!(
            matching(lang.tag()),
            Some(lang),
            "{lang} negotiates to itself"
        );
        let id: unic_langid::LanguageIdentifier = lang.tag().parse().expect("a valid tag");
        assert_eq!(id.to_string(), lang.tag());
    }
    assert_eq!(Lang::from_tag("PT-br").map(Lang::tag), Some("pt-BR"));
    assert_eq!(Lang::from_tag("pt"), None);
    assert_eq!(Lang::from_tag("ja").map(Lang::name), Some("日本語"));
}

#[test]
fn every_message_template_has_the_placeholders_of_english() {
    let placeholders = |t: &str| -> BTreeSet<String> {
        t.split("{{")
            .skip(1)
            .filter_map(|p| p.split_once("}}").map(|(name, _)| name.to_owned()))
            .collect()
    };
    let english = placeholders(Lang::EN.message_template());
    assert_eq!(
        english,
        ["access", "account", "expires", "link", "tenant"]
            .map(String::from)
            .into()
    );
    for lang in Lang::all() {
        let t = lang.message_template();
        assert_eq!(placeholders(t), english, "{lang}");
        // One placeholder each, so a fill-in is never said twice.
        assert_eq!(t.matches("{{").count(), english.len(), "{lang}");
    }
}

#[test]
fn english_fill_ins_read_as_the_message_reads_today() {
    assert_eq!(
        text(Lang::EN, "message-access-gmail", &[]),
        "send email as you (Gmail \"send\" only: it cannot read your mail)"
    );
    assert_eq!(
        text(
            Lang::EN,
            "message-account-email",
            &[("email", "ann@acme.com".into())]
        ),
        " Please sign in with ann@acme.com."
    );
    assert_eq!(
        text(
            Lang::EN,
            "message-account-domain",
            &[("domain", "acme.com".into())]
        ),
        " Please sign in with your acme.com account."
    );
    let ja = Lang::from_tag("ja").expect("supported");
    assert!(!text(ja, "message-account-email", &[("email", "a@b.c".into())]).starts_with(' '));
}

#[test]
fn every_integration_profile_names_messages_english_has() {
    let english = shape(Lang::EN.pages());
    for p in &crate::domain::integration::PROFILES {
        for id in [p.name_message, p.allows_message, p.access_message] {
            assert!(english.contains_key(id), "{}: {id}", p.name);
        }
    }
}
