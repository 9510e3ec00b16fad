//! `beredskap-bench search`: search over a large conversation. A generated Swedish corpus
//! (N messages in C channels, words drawn from a vocabulary with a long tail, inflected
//! forms and compounds among them) is written through the store, then indexed by the
//! server's own indexer (`SearchIndex::run_once`, as the server runs it) and timed. Then,
//! alternating run by run, the same queries by a person who is in M of the channels:
//! through the API of a real `beredskap serve` (visibility, the index, each hit read again
//! with its author and channel), and — the limit — tantivy queried directly on the same
//! index files with the same visibility filter, in this process.

use crate::say;
use anyhow::Context;
use beredskap_core::conversation::{ChannelKind, NewChannel, NewMessage};
use beredskap_core::register::{NewOrg, PersonDraft, Role};
use beredskap_core::{AccountId, Actor, ChannelId, EmailAddress, Region, Store};
use beredskap_server::search::SearchIndex;
use beredskap_store::{DatabaseUrl, OpenOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The words messages are made of, most common first. The words the queries ask for sit
/// in the long tail in other forms than the query's (`översvämmad`, `serverhallen`,
/// `stabsrummet`), as people write them.
const COMMON: &[&str] = &[
    "och",
    "i",
    "att",
    "det",
    "som",
    "på",
    "är",
    "av",
    "för",
    "med",
    "till",
    "den",
    "har",
    "de",
    "inte",
    "om",
    "ett",
    "en",
    "vi",
    "kan",
    "nu",
    "så",
    "efter",
    "alla",
    "vid",
    "från",
    "kl",
    "idag",
    "imorgon",
    "läget",
    "klart",
    "ingen",
    "behöver",
    "ring",
    "mötet",
    "info",
    "uppdatering",
    "personal",
    "kontoret",
    "stadshuset",
    "skolan",
    "äldreboendet",
    "hemtjänsten",
    "bilen",
    "nyckel",
    "vakten",
    "lista",
    "samtal",
    "telefon",
    "mejl",
    "rapport",
    "beslut",
    "ansvarig",
    "chef",
    "enheten",
    "avdelningen",
    "förvaltningen",
    "kommunen",
    "regionen",
    "länsstyrelsen",
    "polisen",
    "räddningstjänsten",
    "leverantören",
    "tekniker",
    "reserv",
];
const TAIL: &[&str] = &[
    "översvämmad",
    "översvämningen",
    "översvämningar",
    "serverhallen",
    "serverhallens",
    "stabsrummet",
    "stabsrummets",
    "strömavbrottet",
    "strömavbrott",
    "reservkraften",
    "reservkraftverket",
    "vattenledningen",
    "vattenläckan",
    "telefonväxeln",
    "växeln",
    "evakueringen",
    "evakuerade",
    "brandlarmet",
    "brandlarm",
    "krisledningen",
    "krisledningsgruppen",
    "samlingsplatsen",
    "trygghetslarmen",
    "matleveransen",
    "värmeböljan",
    "stormen",
    "snöovädret",
    "vägarna",
    "bron",
    "färjan",
    "bussarna",
    "reservnumret",
    "nödnumret",
    "kylaggregatet",
    "kylningen",
    "diskarna",
    "backupen",
    "nätverket",
    "brandväggen",
    "lösenorden",
    "intrånget",
    "utpressningen",
    "journalerna",
    "apoteket",
    "vårdcentralen",
    "hemsjukvården",
    "skolmaten",
    "köket",
    "tvätteriet",
];
/// What the person searches for, each a form none of the messages uses as is.
const QUERIES: &[&str] = &[
    "översvämning",
    "serverhall",
    "stabsrum",
    "strömavbrott",
    "reservkraft",
    "vattenledning",
    "telefonväxel",
    "evakuering",
    "brandlarm",
    "krisledning",
    "samlingsplats",
    "trygghetslarm",
    "kylaggregat",
    "brandvägg",
    "vårdcentral",
    "serverhall kylning",
];

/// A small, seeded generator: the same corpus every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A word: mostly common ones (the first more than the last), one in eight from the
    /// tail.
    fn word(&mut self) -> &'static str {
        if self.below(8) == 0 {
            TAIL[self.below(TAIL.len())]
        } else {
            // The smaller of two draws favours the first words.
            let (a, b) = (self.below(COMMON.len()), self.below(COMMON.len()));
            COMMON[a.min(b)]
        }
    }

    fn message(&mut self) -> String {
        let words = 6 + self.below(11);
        let mut text = String::new();
        for i in 0..words {
            let word = self.word();
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push(' ');
                text.push_str(word);
            }
        }
        text.push('.');
        text
    }
}

struct Latencies {
    p50_ms: f64,
    p99_ms: f64,
    hits: usize,
}

fn latencies(mut micros: Vec<u64>, hits: usize) -> Latencies {
    micros.sort_unstable();
    let at = |p: f64| {
        let i = ((micros.len() as f64 * p).ceil() as usize).clamp(1, micros.len()) - 1;
        micros[i] as f64 / 1000.0
    };
    Latencies {
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        hits,
    }
}

pub async fn run(
    messages: usize,
    channels: usize,
    member_of: usize,
    queries: usize,
    runs: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        member_of <= channels && channels > 0,
        "--member-of must be at most --channels"
    );
    let dir = tempfile::tempdir()?;
    let store = beredskap_store::open(
        &DatabaseUrl::Sqlite(dir.path().join("beredskap.db")),
        &OpenOptions {
            create: true,
            ..Default::default()
        },
    )
    .await?;
    let actor = Actor::system();
    let org = store
        .create_org(
            &actor,
            NewOrg::parse("lillby", "Lillby kommun", Region::Se)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        )
        .await?;
    // The searcher (with an API token), and someone else who writes in the other channels.
    let (searcher, token) = crate::ingest::bench_admin(store.clone(), &org).await?;
    let other = {
        let person = store
            .create_person(
                &actor,
                org.id,
                PersonDraft {
                    external_id: None,
                    name: "Annan Skribent".into(),
                    title: None,
                    active: true,
                    contact_points: vec![],
                },
            )
            .await?;
        let login =
            EmailAddress::parse("annan@bench.example").map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .create_account(&actor, org.id, person.id, login, Role::Member)
            .await?
    };
    let mut all: Vec<(ChannelId, AccountId)> = Vec::with_capacity(channels);
    for i in 0..channels {
        let creator = if i < member_of { &searcher } else { &other };
        let channel = store
            .create_channel(
                &actor,
                org.id,
                creator.id,
                NewChannel {
                    kind: ChannelKind::Direct,
                    name: format!("Kanal {i}"),
                    classification: org
                        .classifications
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "Intern".into()),
                    group_id: None,
                    members: vec![],
                },
            )
            .await?;
        all.push((channel.id, creator.id));
    }
    let visible: Vec<ChannelId> = all.iter().take(member_of).map(|(c, _)| *c).collect();

    say(format!(
        "Writing {messages} messages in {channels} channels through the store…"
    ));
    let started = Instant::now();
    write_corpus(store.clone(), &all, messages, org.id).await?;
    let written = started.elapsed();
    say(format!(
        "  {:.0} messages/s ({:.1} s)",
        messages as f64 / written.as_secs_f64(),
        written.as_secs_f64()
    ));

    // Indexing, as the server's indexer does it: batches read from the journal, one commit
    // each.
    let index_dir = SearchIndex::dir(dir.path());
    let started = Instant::now();
    {
        let index = SearchIndex::open(&index_dir, store.clone())?;
        while index.run_once().await? > 0 {}
    }
    let indexing = started.elapsed();
    let indexed_per_second = messages as f64 / indexing.as_secs_f64();
    say(format!(
        "Indexed {messages} messages: {indexed_per_second:.0} messages/s ({:.1} s)",
        indexing.as_secs_f64()
    ));

    let (_server, addr) = crate::spawn_server(dir.path()).await?;
    let direct = SearchIndex::open_to_search(&index_dir, store.clone())?;
    let client = reqwest::Client::new();
    let searcher_index = beredskap_server::search::Searcher::Ready(direct.clone());
    let app = beredskap_app::App::new(
        store.clone(),
        Arc::new(beredskap_core::clock::SystemClock),
        Arc::new(beredskap_app::NoWakeups),
    );
    let caller = beredskap_app::Caller::Account(searcher.clone());
    let mut through_api = Vec::new();
    let mut use_case = Vec::new();
    let mut limit = Vec::new();
    for run in 0..runs {
        say(format!("run {}/{runs}", run + 1));
        // Alternating, so a slower minute of the machine falls on each.
        limit.push(query_directly(&direct, &org, &visible, queries)?);
        use_case.push(query_use_case(&app, &searcher_index, &caller, &org, queries).await?);
        through_api.push(query_api(&client, addr, &token, queries).await?);
    }
    print(
        &Setting {
            messages,
            channels,
            member_of,
            queries,
            indexed_per_second,
        },
        &[
            ("**limit**: tantivy directly, same index and filter", &limit),
            (
                "the use case in this process (visibility, index, hits read again)",
                &use_case,
            ),
            (
                "**search through the API**, `beredskap serve`",
                &through_api,
            ),
        ],
    );
    Ok(())
}

/// Writes `messages` messages, spread evenly over the channels, each by its channel's
/// creator; 64 writers at once, as many people posting do.
async fn write_corpus(
    store: Arc<dyn Store>,
    channels: &[(ChannelId, AccountId)],
    messages: usize,
    org: beredskap_core::OrgId,
) -> anyhow::Result<()> {
    const WRITERS: usize = 64;
    let channels = Arc::new(channels.to_vec());
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (store, channels) = (store.clone(), channels.clone());
        tasks.spawn(async move {
            let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ (writer as u64 + 1));
            let mut n = writer;
            while n < messages {
                let (channel, author) = channels[n % channels.len()];
                let message = NewMessage {
                    channel,
                    thread_root: None,
                    body: dice.message(),
                    announcement: false,
                    mentions: vec![],
                    attachments: vec![],
                    idempotency_key: None,
                    send_out: None,
                };
                store
                    .post_message(&Actor::account(author), org, author, message)
                    .await?;
                n += WRITERS;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a writer failed")??;
    }
    Ok(())
}

fn query_directly(
    index: &SearchIndex,
    org: &beredskap_core::register::Org,
    visible: &[ChannelId],
    queries: usize,
) -> anyhow::Result<Latencies> {
    let mut micros = Vec::with_capacity(queries);
    let mut hits = 0;
    for i in 0..queries {
        let words = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        let found = index.search(org.id, org.region, visible, words)?;
        micros.push(started.elapsed().as_micros() as u64);
        hits += found.len();
    }
    Ok(latencies(micros, hits))
}

async fn query_use_case(
    app: &beredskap_app::App,
    index: &beredskap_server::search::Searcher,
    caller: &beredskap_app::Caller,
    org: &beredskap_core::register::Org,
    queries: usize,
) -> anyhow::Result<Latencies> {
    let mut micros = Vec::with_capacity(queries);
    let mut hits = 0;
    for i in 0..queries {
        let words = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        let found = beredskap_app::conversation::search(app, index, caller, org, words)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        micros.push(started.elapsed().as_micros() as u64);
        hits += found.len();
    }
    Ok(latencies(micros, hits))
}

async fn query_api(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    token: &str,
    queries: usize,
) -> anyhow::Result<Latencies> {
    let mut micros = Vec::with_capacity(queries);
    let mut hits = 0;
    for i in 0..queries {
        let words = QUERIES[i % QUERIES.len()];
        let url = format!("http://{addr}/api/v1/orgs/lillby/search");
        let started = Instant::now();
        let response = client
            .get(&url)
            .query(&[("q", words)])
            .bearer_auth(token)
            .timeout(Duration::from_secs(30))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "the search answered {}",
            response.status()
        );
        let found: Vec<serde_json::Value> = response.json().await?;
        micros.push(started.elapsed().as_micros() as u64);
        hits += found.len();
    }
    Ok(latencies(micros, hits))
}

struct Setting {
    messages: usize,
    channels: usize,
    member_of: usize,
    queries: usize,
    indexed_per_second: f64,
}

fn print(setting: &Setting, rows: &[(&str, &Vec<Latencies>)]) {
    let median = |runs: &[Latencies], f: fn(&Latencies) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let range = |runs: &[Latencies], f: fn(&Latencies) -> f64| {
        let v: Vec<f64> = runs.iter().map(f).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.2}–{hi:.2}")
    };
    let runs = rows.first().map(|(_, r)| r.len()).unwrap_or(0);
    say("");
    say(format!(
        "{} messages in {} channels; the searcher is in {}; {} queries per run, one at a \
         time; median of {runs} runs.",
        setting.messages, setting.channels, setting.member_of, setting.queries
    ));
    say("| what | p50 ms | p99 ms | p99 range over runs | hits per query |");
    say("|---|---:|---:|---|---:|");
    for (label, runs) in rows {
        say(format!(
            "| {label} | {:.2} | {:.2} | {} | {:.1} |",
            median(runs, |l| l.p50_ms),
            median(runs, |l| l.p99_ms),
            range(runs, |l| l.p99_ms),
            runs.first()
                .map(|l| l.hits as f64 / setting.queries as f64)
                .unwrap_or(0.0)
        ));
    }
    say(format!(
        "Indexing: {:.0} messages/s.",
        setting.indexed_per_second
    ));
}
