//! The example plans shipped with Beredskap (`plans/` in the repository), written for the
//! project in Swedish, Danish and English: a total IT outage, email down, telephony down,
//! a flooded server room. They refer to the demo's positions, groups and contacts; an
//! organisation fits them to its own before importing.

/// One example plan in one language.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    pub lang: &'static str,
    /// The slug it is imported under.
    pub slug: &'static str,
    pub yaml: &'static str,
}

pub const EXAMPLES: &[Example] = &[
    Example {
        lang: "sv",
        slug: "it-outage",
        yaml: include_str!("../../../../plans/sv/it-outage.yaml"),
    },
    Example {
        lang: "sv",
        slug: "email-down",
        yaml: include_str!("../../../../plans/sv/email-down.yaml"),
    },
    Example {
        lang: "sv",
        slug: "telephony-down",
        yaml: include_str!("../../../../plans/sv/telephony-down.yaml"),
    },
    Example {
        lang: "sv",
        slug: "server-room-flooded",
        yaml: include_str!("../../../../plans/sv/server-room-flooded.yaml"),
    },
    Example {
        lang: "da",
        slug: "it-outage",
        yaml: include_str!("../../../../plans/da/it-outage.yaml"),
    },
    Example {
        lang: "da",
        slug: "email-down",
        yaml: include_str!("../../../../plans/da/email-down.yaml"),
    },
    Example {
        lang: "da",
        slug: "telephony-down",
        yaml: include_str!("../../../../plans/da/telephony-down.yaml"),
    },
    Example {
        lang: "da",
        slug: "server-room-flooded",
        yaml: include_str!("../../../../plans/da/server-room-flooded.yaml"),
    },
    Example {
        lang: "en",
        slug: "it-outage",
        yaml: include_str!("../../../../plans/en/it-outage.yaml"),
    },
    Example {
        lang: "en",
        slug: "email-down",
        yaml: include_str!("../../../../plans/en/email-down.yaml"),
    },
    Example {
        lang: "en",
        slug: "telephony-down",
        yaml: include_str!("../../../../plans/en/telephony-down.yaml"),
    },
    Example {
        lang: "en",
        slug: "server-room-flooded",
        yaml: include_str!("../../../../plans/en/server-room-flooded.yaml"),
    },
    Example {
        lang: "nb",
        slug: "it-outage",
        yaml: include_str!("../../../../plans/nb/it-outage.yaml"),
    },
    Example {
        lang: "nb",
        slug: "email-down",
        yaml: include_str!("../../../../plans/nb/email-down.yaml"),
    },
    Example {
        lang: "nb",
        slug: "telephony-down",
        yaml: include_str!("../../../../plans/nb/telephony-down.yaml"),
    },
    Example {
        lang: "nb",
        slug: "server-room-flooded",
        yaml: include_str!("../../../../plans/nb/server-room-flooded.yaml"),
    },
];

/// The examples in `lang`, or in English when there are none in it.
pub fn examples(lang: &str) -> Vec<Example> {
    let own: Vec<Example> = EXAMPLES
        .iter()
        .filter(|e| e.lang == lang)
        .copied()
        .collect();
    match own.is_empty() {
        true => EXAMPLES
            .iter()
            .filter(|e| e.lang == "en")
            .copied()
            .collect(),
        false => own,
    }
}
