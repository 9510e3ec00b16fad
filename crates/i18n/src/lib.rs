//! The text catalogue: every word a person reads — pages, SMS and email texts, error
//! messages — in Project Fluent files, one folder per language under `locales/`
//! (`locales/sv/pages.ftl`, …). The folders are compiled into the binary. Adding a
//! language is adding a folder with every message the English folder has (a test checks
//! keys and placeholders); plurals and other grammar live in the files, not in code.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

static LOCALES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/locales");

/// The language everything else is checked against, and the one the API speaks.
pub const REFERENCE: &str = "en";
/// The language of a page when nothing else says which.
pub const DEFAULT: &str = "sv";

struct Language {
    code: &'static str,
    /// Other codes this folder answers to (`language-aliases`), e.g. `no` for `nb`.
    aliases: Vec<String>,
    bundle: FluentBundle<FluentResource>,
    /// Every message without placeholders, rendered once at start: the pages take these
    /// as `&'static str`. Bounded by the catalogue's size, made once per process.
    fixed: HashMap<String, &'static str>,
}

struct Catalogue {
    languages: Vec<Language>,
    /// What was wrong with the files (a syntax error, a message defined twice).
    problems: Vec<String>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(load);

/// The files of each language folder, in folder order: (code, [(file name, text)]).
pub fn sources() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut folders: Vec<_> = LOCALES.dirs().collect();
    folders.sort_by_key(|d| d.path());
    folders
        .into_iter()
        .filter_map(|dir| {
            let code = dir.path().file_name()?.to_str()?;
            let mut files: Vec<_> = dir
                .files()
                .filter(|f| f.path().extension().is_some_and(|e| e == "ftl"))
                .filter_map(|f| Some((f.path().file_name()?.to_str()?, f.contents_utf8()?)))
                .collect();
            files.sort();
            Some((code, files))
        })
        .collect()
}

fn load() -> Catalogue {
    let mut problems = Vec::new();
    let mut languages = Vec::new();
    for (code, files) in sources() {
        let Ok(id) = code.parse::<unic_langid::LanguageIdentifier>() else {
            problems.push(format!("{code}: not a language code"));
            continue;
        };
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Texts go into HTML, SMS and email, where bidi isolation marks are noise.
        bundle.set_use_isolating(false);
        for (name, text) in files {
            let resource = match FluentResource::try_new(text.to_owned()) {
                Ok(resource) => resource,
                Err((resource, errors)) => {
                    for e in errors {
                        problems.push(format!("{code}/{name}: {e:?}"));
                    }
                    resource
                }
            };
            if let Err(errors) = bundle.add_resource(resource) {
                for e in errors {
                    problems.push(format!("{code}/{name}: {e}"));
                }
            }
        }
        let mut language = Language {
            code,
            aliases: Vec::new(),
            bundle,
            fixed: HashMap::new(),
        };
        let ids: Vec<String> = message_ids(code);
        for id in ids {
            if let Some(text) = render(&language.bundle, &id, None) {
                language.fixed.insert(id, Box::leak(text.into_boxed_str()));
            }
        }
        language.aliases = language
            .fixed
            .get("language-aliases")
            .map(|a| a.split(',').map(|c| c.trim().to_owned()).collect())
            .unwrap_or_default();
        languages.push(language);
    }
    Catalogue {
        languages,
        problems,
    }
}

/// The message ids a language folder defines, from its files.
pub fn message_ids(code: &str) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(c, _)| *c == code)
        .flat_map(|(_, files)| files)
        .flat_map(|(_, text)| {
            let resource = match fluent_syntax::parser::parse(text) {
                Ok(r) => r,
                Err((r, _)) => r,
            };
            resource
                .body
                .into_iter()
                .filter_map(|entry| match entry {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn render(
    bundle: &FluentBundle<FluentResource>,
    id: &str,
    args: Option<&FluentArgs>,
) -> Option<String> {
    let pattern = bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    // A message with placeholders rendered without them is not a fixed text.
    match errors.is_empty() {
        true => Some(text.into_owned()),
        false if args.is_some() => Some(text.into_owned()),
        false => None,
    }
}

/// Problems found loading the catalogue; empty when every file is well-formed.
pub fn problems() -> &'static [String] {
    &CATALOGUE.problems
}

/// A value for a placeholder.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Number(i64),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                Value::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number!(i64, i32, u32, u64, usize);

/// One language of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang(usize);

impl Lang {
    /// Every language, in the order of their folders' codes.
    pub fn all() -> impl Iterator<Item = Lang> {
        (0..CATALOGUE.languages.len()).map(Lang)
    }

    /// The language of the code, or of its first subtag (`sv-SE`), or the folder that
    /// lists it among its aliases (`no` for `nb`).
    pub fn parse(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        if primary.is_empty() {
            return None;
        }
        let languages = &CATALOGUE.languages;
        languages
            .iter()
            .position(|l| l.code == code || l.code == primary)
            .or_else(|| {
                languages
                    .iter()
                    .position(|l| l.aliases.iter().any(|a| a == primary))
            })
            .map(Lang)
    }

    /// The language whose code is exactly `code` (`sv`, not `sv-SE` or `SV`): for what is
    /// stored with its language, where the API's schema names the codes.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::all().find(|l| l.code() == code)
    }

    /// The first of the catalogue's languages in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or_default()))
            .next()
    }

    /// Swedish, or whatever is first if a build has no Swedish.
    pub fn fallback() -> Lang {
        Lang::parse(DEFAULT).unwrap_or(Lang(0))
    }

    /// English: what the API's messages are in.
    pub fn reference() -> Lang {
        Lang::parse(REFERENCE).unwrap_or(Lang(0))
    }

    fn language(self) -> Option<&'static Language> {
        CATALOGUE.languages.get(self.0)
    }

    pub fn code(self) -> &'static str {
        self.language().map(|l| l.code).unwrap_or(DEFAULT)
    }

    /// The language's own name, for the language switcher.
    pub fn name(self) -> &'static str {
        self.text("language-name")
    }

    /// A message without placeholders; English where a language lacks it (the catalogue
    /// test makes sure none does), "?" where the catalogue has no such message at all.
    pub fn text(self, id: &str) -> &'static str {
        let fixed = |lang: Lang| lang.language().and_then(|l| l.fixed.get(id).copied());
        fixed(self)
            .or_else(|| fixed(Lang::reference()))
            .unwrap_or("?")
    }

    /// A message with its placeholders filled in.
    pub fn format(self, id: &str, args: &[(&str, Value<'_>)]) -> String {
        let Some(language) = self.language() else {
            return id.to_owned();
        };
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                Value::Text(t) => FluentValue::from(t.to_string()),
                Value::Number(n) => FluentValue::from(*n),
            };
            fluent.set(*name, value);
        }
        render(&language.bundle, id, Some(&fluent)).unwrap_or_else(|| id.to_owned())
    }

    /// Whether the catalogue has this message in this language.
    pub fn has(self, id: &str) -> bool {
        self.language().is_some_and(|l| l.bundle.has_message(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};

    type Placeholders = BTreeMap<String, BTreeSet<String>>;

    fn variables_in_pattern(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                variables_in_expression(expression, out);
            }
        }
    }

    fn variables_in_expression(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Inline(inline) => variables_in_inline(inline, out),
            ast::Expression::Select { selector, variants } => {
                variables_in_inline(selector, out);
                for variant in variants {
                    variables_in_pattern(&variant.value, out);
                }
            }
        }
    }

    fn variables_in_inline(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            ast::InlineExpression::Placeable { expression } => {
                variables_in_expression(expression, out)
            }
            ast::InlineExpression::FunctionReference { arguments, .. } => {
                for a in &arguments.positional {
                    variables_in_inline(a, out);
                }
                for a in &arguments.named {
                    variables_in_inline(&a.value, out);
                }
            }
            _ => {}
        }
    }

    /// Each message of a language with the placeholders it uses.
    fn placeholders(code: &str) -> Placeholders {
        let mut all = Placeholders::new();
        for (_, files) in sources().into_iter().filter(|(c, _)| *c == code) {
            for (_, text) in files {
                let resource = fluent_syntax::parser::parse(text).unwrap();
                for entry in resource.body {
                    if let ast::Entry::Message(message) = entry {
                        let mut used = BTreeSet::new();
                        if let Some(value) = &message.value {
                            variables_in_pattern(value, &mut used);
                        }
                        all.insert(message.id.name.to_owned(), used);
                    }
                }
            }
        }
        all
    }

    #[test]
    fn every_file_is_well_formed() {
        assert!(problems().is_empty(), "{:#?}", problems());
        let codes: Vec<&str> = Lang::all().map(Lang::code).collect();
        assert_eq!(codes, ["da", "en", "nb", "sv"]);
    }

    #[test]
    fn every_language_has_every_message_with_the_same_placeholders() {
        let reference = placeholders(REFERENCE);
        assert!(reference.len() > 250, "the scan reads the files");
        let mut wrong = Vec::new();
        for lang in Lang::all() {
            let theirs = placeholders(lang.code());
            for (id, used) in &reference {
                match theirs.get(id) {
                    None => wrong.push(format!("{}: {id} is missing", lang.code())),
                    Some(t) if t != used => wrong.push(format!(
                        "{}: {id} uses {t:?}, English uses {used:?}",
                        lang.code()
                    )),
                    Some(_) => {}
                }
            }
            for id in theirs.keys().filter(|id| !reference.contains_key(*id)) {
                wrong.push(format!("{}: {id} is not in English", lang.code()));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn languages_are_found_by_code_subtag_alias_and_browser_preference() {
        let code = |l: Option<Lang>| l.map(Lang::code);
        assert_eq!(code(Lang::parse("sv-SE")), Some("sv"));
        assert_eq!(code(Lang::parse("NB")), Some("nb"));
        assert_eq!(code(Lang::parse("no")), Some("nb"), "Norwegian is Bokmål");
        assert_eq!(code(Lang::parse("fr")), None);
        // Nothing is no language (an empty alias must not match it).
        assert_eq!(code(Lang::parse("")), None);
        assert_eq!(code(Lang::parse(" - ")), None);
        // Exactly a code, for what the API's schema lists.
        assert_eq!(code(Lang::from_code("da")), Some("da"));
        assert_eq!(code(Lang::from_code("sv-SE")), None);
        assert_eq!(
            code(Lang::from_accept_language("de-DE,da;q=0.9,en;q=0.8")),
            Some("da")
        );
        assert_eq!(code(Lang::from_accept_language("fr, de")), None);
        assert_eq!(Lang::fallback().code(), "sv");
        assert_eq!(Lang::parse("nb").map(Lang::name), Some("Norsk bokmål"));
    }

    #[test]
    fn placeholders_are_filled_and_counts_choose_their_plural() {
        let sv = Lang::parse("sv").unwrap();
        let en = Lang::reference();
        assert_eq!(
            sv.format("attachment-hint", &[("mb", 25.into())]),
            "Bilder, PDF och kontorsdokument upp till 25 MB."
        );
        let minutes = |lang: Lang, n: i64| lang.format("throttled", &[("minutes", n.into())]);
        assert!(
            minutes(en, 1).contains("for 1 minute."),
            "{}",
            minutes(en, 1)
        );
        assert!(
            minutes(en, 15).contains("for 15 minutes."),
            "{}",
            minutes(en, 15)
        );
        assert!(minutes(sv, 1).contains("i 1 minut."), "{}", minutes(sv, 1));
        assert!(
            minutes(sv, 15).contains("i 15 minuter."),
            "{}",
            minutes(sv, 15)
        );
    }
}
