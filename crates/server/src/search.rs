//! Full-text search over messages (tantivy), stemmed in the organisation's language.
//!
//! The index is derived data: it follows the journal (`message.posted`, `.edited`,
//! `.deleted`), remembers in each commit how far it has read, and can be thrown away and
//! rebuilt from the journal at any time (`beredskap search rebuild`). The indexer commits
//! once per batch, not once per message. Searches filter by the channels the searcher may
//! see at the moment they search.

use beredskap_core::words::{
    words_of, Vocabulary, GRAM_WORD, MAX_QUERY_WORDS, MAX_WORD_BYTES, OPERATORS,
};
use beredskap_core::{ChannelId, OrgId, Region, Store, StoreError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Journal entries read per organisation in one batch (one commit).
const BATCH: u32 = 2000;
/// The indexer's memory budget.
const WRITER_HEAP: usize = 20_000_000;
const MAX_HITS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Store(#[from] StoreError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    org: Field,
    channel: Field,
    seq: Field,
    sv: Field,
    da: Field,
    no: Field,
    /// The words as written (lower-cased): a query word's other forms and compounds,
    /// found in the [`Vocabulary`] by their pieces, are looked up here.
    words: Field,
}

/// The languages messages are stemmed in, by the organisation's region.
fn body_field(fields: &Fields, region: Region) -> Field {
    match region {
        Region::Se | Region::Fi => fields.sv,
        Region::Dk => fields.da,
        Region::No => fields.no,
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored()
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        org: b.add_text_field("org", STRING),
        channel: b.add_text_field("channel", STRING | STORED),
        seq: b.add_i64_field("seq", STORED),
        sv: b.add_text_field("body_sv", text("sv")),
        da: b.add_text_field("body_da", text("da")),
        no: b.add_text_field("body_no", text("no")),
        words: b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("words")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
    };
    (b.build(), fields)
}

fn register_tokenizers(index: &Index) {
    for (name, language) in [
        ("sv", Language::Swedish),
        ("da", Language::Danish),
        ("no", Language::Norwegian),
    ] {
        let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(60))
            .filter(LowerCaser)
            .filter(Stemmer::new(language))
            .build();
        index.tokenizers().register(name, analyzer);
    }
    // The words as `words_of` gives them, so the vocabulary and the index agree.
    let words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .build();
    index.tokenizers().register("words", words);
}

/// Every word in the index, read from its segments' term lists.
fn vocabulary_of(reader: &IndexReader, words: Field) -> Result<Vocabulary, SearchError> {
    let mut vocabulary = Vocabulary::default();
    for segment in reader.searcher().segment_readers() {
        let inverted = segment.inverted_index(words)?;
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            if let Ok(word) = std::str::from_utf8(terms.key()) {
                vocabulary.add(word);
            }
        }
    }
    Ok(vocabulary)
}

/// What a search for `words` finds, and what to mark in its passages. Swedish and Danish
/// make words by joining them (`stabs|rummet`, `server|hallen`) and inflect by changing
/// the end (`översvämning`, `översvämmad`), where a stemmer alone finds neither: every
/// word is found by its stem, or — five letters or more — by the words of the index that
/// hold most of its three-letter pieces (its forms, from the [`Vocabulary`]). The stemmed
/// half reads the words as a query (leniently: a stray `AND (` is no error), as before
/// forms were added.
fn words_query(
    index: &Index,
    body: Field,
    words_field: Field,
    vocabulary: &Vocabulary,
    words: &str,
) -> (Box<dyn Query>, Box<dyn Query>) {
    let mut parser = QueryParser::for_index(index, vec![body]);
    parser.set_conjunction_by_default();
    let (stemmed, _) = parser.parse_query_lenient(words);
    let mut stem = index.tokenizer_for_field(body).ok();
    let mut each_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // The stems of everything found, for the passages' marks.
    let mut marks: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, stemmed.box_clone())];
    for word in words_of(words)
        .filter(|w| !OPERATORS.contains(&w.as_str()))
        .take(MAX_QUERY_WORDS)
    {
        let mut ways: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(stemmed) = stem_term(stem.as_mut(), body, &word) {
            ways.push((Occur::Should, stemmed));
        }
        if word.chars().count() >= GRAM_WORD {
            for form in vocabulary.forms(&word) {
                let term = Term::from_field_text(words_field, form);
                ways.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
                if let Some(mark) = stem_term(stem.as_mut(), body, form) {
                    marks.push((Occur::Should, mark));
                }
            }
        }
        if ways.is_empty() {
            continue;
        }
        each_word.push((Occur::Must, Box::new(BooleanQuery::new(ways))));
    }
    let marks: Box<dyn Query> = Box::new(BooleanQuery::new(marks));
    if each_word.is_empty() {
        return (stemmed, marks);
    }
    let query = Box::new(BooleanQuery::new(vec![
        (Occur::Should, stemmed),
        (
            Occur::Should,
            Box::new(BooleanQuery::new(each_word)) as Box<dyn Query>,
        ),
    ]));
    (query, marks)
}

/// A word's stem in `body`'s language, as a term query.
fn stem_term(
    analyzer: Option<&mut TextAnalyzer>,
    body: Field,
    word: &str,
) -> Option<Box<dyn Query>> {
    let analyzer = analyzer?;
    let mut stream = analyzer.token_stream(word);
    let token = stream.next()?.text.clone();
    Some(Box::new(TermQuery::new(
        Term::from_field_text(body, &token),
        IndexRecordOption::WithFreqs,
    )))
}

pub use beredskap_app::conversation::Hit;

/// The index as the search use case reads it, or why there is none; the work is done off
/// the async threads.
pub enum Searcher {
    Ready(std::sync::Arc<SearchIndex>),
    Unavailable(String),
}

impl Searcher {
    pub fn of(index: &Result<std::sync::Arc<SearchIndex>, String>) -> Self {
        match index {
            Ok(index) => Searcher::Ready(index.clone()),
            Err(reason) => Searcher::Unavailable(reason.clone()),
        }
    }
}

#[async_trait::async_trait]
impl beredskap_app::conversation::MessageIndex for Searcher {
    async fn search(
        &self,
        org: &beredskap_core::register::Org,
        channels: Vec<ChannelId>,
        words: String,
    ) -> Result<Vec<Hit>, beredskap_app::Error> {
        let index = match self {
            Searcher::Ready(index) => index.clone(),
            Searcher::Unavailable(reason) => {
                return Err(beredskap_app::Error::Unavailable(format!(
                    "search: {reason}"
                )))
            }
        };
        let (org_id, region) = (org.id, org.region);
        tokio::task::spawn_blocking(move || index.search(org_id, region, &channels, &words))
            .await
            .map_err(|e| beredskap_app::Error::Internal(e.to_string()))?
            .map_err(|e| beredskap_app::Error::Internal(e.to_string()))
    }
}

/// Applies one batch and commits it with how far the journal has been read.
fn write_batch(
    writer: &mut IndexWriter,
    fields: Fields,
    deletes: Vec<String>,
    docs: Vec<(String, TantivyDocument)>,
    payload: &str,
) -> Result<(), SearchError> {
    // Deletes apply to documents added before them, so the batch deletes first and then
    // adds the latest text of each message.
    for id in &deletes {
        writer.delete_term(Term::from_field_text(fields.id, id));
    }
    let mut latest: HashMap<String, TantivyDocument> = HashMap::new();
    let mut order = Vec::new();
    for (id, doc) in docs {
        if latest.insert(id.clone(), doc).is_none() {
            order.push(id);
        }
    }
    for id in order {
        if let Some(doc) = latest.remove(&id) {
            writer.add_document(doc)?;
        }
    }
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(payload);
    commit.commit()?;
    Ok(())
}

pub struct SearchIndex {
    store: Arc<dyn Store>,
    index: Index,
    reader: IndexReader,
    /// None after the writer failed (a full disk, too many open files): the next batch
    /// opens a new one instead of failing for ever.
    writer: Arc<Mutex<Option<IndexWriter>>>,
    fields: Fields,
    /// Every word indexed, by its pieces; grows as messages are indexed (a word whose
    /// messages are gone stays, and finds nothing).
    vocabulary: RwLock<Vocabulary>,
    /// The last journal seq indexed, per organisation; saved with every commit.
    progress: Mutex<HashMap<OrgId, i64>>,
    /// Woken after a write, so a new message is searchable at once.
    pub wake: tokio::sync::Notify,
    /// One batch at a time, so two callers never index the same entries.
    indexing: tokio::sync::Mutex<()>,
}

impl SearchIndex {
    /// Opens an existing index in `dir` to search only, beside the server that writes it
    /// (the benchmark queries it directly this way). It indexes nothing.
    pub fn open_to_search(
        dir: &Path,
        store: Arc<dyn Store>,
    ) -> Result<Arc<SearchIndex>, SearchError> {
        let (schema, fields) = schema();
        let index = Index::open_in_dir(dir)?;
        if index.schema() != schema {
            return Err(SearchError::Io(std::io::Error::other(
                "the index was made by another version",
            )));
        }
        register_tokenizers(&index);
        SearchIndex::assemble(store, index, fields, None, HashMap::new())
    }

    /// The index's reader and vocabulary, around `writer` (none: search only).
    fn assemble(
        store: Arc<dyn Store>,
        index: Index,
        fields: Fields,
        writer: Option<IndexWriter>,
        progress: HashMap<OrgId, i64>,
    ) -> Result<Arc<SearchIndex>, SearchError> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let vocabulary = RwLock::new(vocabulary_of(&reader, fields.words)?);
        Ok(Arc::new(SearchIndex {
            store,
            index,
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields,
            vocabulary,
            progress: Mutex::new(progress),
            wake: tokio::sync::Notify::new(),
            indexing: tokio::sync::Mutex::new(()),
        }))
    }

    /// Opens the index in `dir`, creating it if missing. An index that cannot be opened
    /// (another version, damage) is replaced by an empty one that the indexer refills
    /// from the journal.
    pub fn open(dir: &Path, store: Arc<dyn Store>) -> Result<Arc<SearchIndex>, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            _ => {
                if dir.join("meta.json").exists() {
                    tracing::warn!(dir = %dir.display(), "search index replaced; it will be rebuilt from the journal");
                    std::fs::remove_dir_all(dir)?;
                    std::fs::create_dir_all(dir)?;
                }
                Index::create_in_dir(dir, schema)?
            }
        };
        register_tokenizers(&index);
        let progress = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<HashMap<OrgId, i64>>(&p).ok())
            .unwrap_or_default();
        let writer = index.writer(WRITER_HEAP)?;
        SearchIndex::assemble(store, index, fields, Some(writer), progress)
    }

    /// Where the server keeps its index.
    pub fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join("search-index")
    }

    /// Empties the index in `dir` and builds it again from the journal. Opening it takes
    /// the writer's lock first, so a running server's index is never pulled from under it.
    pub async fn rebuild(dir: &Path, store: Arc<dyn Store>) -> Result<usize, SearchError> {
        let index = SearchIndex::open(dir, store)?;
        {
            let mut slot = index.writer.lock().unwrap_or_else(|e| e.into_inner());
            let writer = slot
                .as_mut()
                .ok_or_else(|| SearchError::Io(std::io::Error::other("no index writer")))?;
            writer.delete_all_documents()?;
            let mut commit = writer.prepare_commit()?;
            commit.set_payload("{}");
            commit.commit()?;
        }
        index.progress().clear();
        *index.vocabulary_mut() = Vocabulary::default();
        let mut total = 0;
        loop {
            let done = index.run_once().await?;
            if done == 0 {
                return Ok(total);
            }
            total += done;
        }
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, HashMap<OrgId, i64>> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn vocabulary_mut(&self) -> std::sync::RwLockWriteGuard<'_, Vocabulary> {
        self.vocabulary.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads one batch of new journal entries for every organisation and commits them
    /// together. Returns how many entries were read (0: the index is up to date).
    pub async fn run_once(&self) -> Result<usize, SearchError> {
        let _one_batch_at_a_time = self.indexing.lock().await;
        let mut docs = Vec::new();
        let mut texts = Vec::new();
        let mut deletes = Vec::new();
        let mut progress = self.progress().clone();
        let mut read = 0;
        for org in self.store.list_orgs().await? {
            let after = progress.get(&org.id).copied().unwrap_or(0);
            let entries = self.store.journal_page(org.id, after, BATCH).await?;
            let Some(last) = entries.last().map(|e| e.seq) else {
                continue;
            };
            read += entries.len();
            let body = body_field(&self.fields, org.region);
            for entry in &entries {
                let payload: serde_json::Value =
                    serde_json::from_str(&entry.payload).unwrap_or_default();
                let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                let (Some(id), kind) = (text("id"), entry.kind.as_str()) else {
                    continue;
                };
                match kind {
                    "message.posted" | "message.edited" => {
                        let (Some(channel), Some(text_body)) = (text("channel_id"), text("body"))
                        else {
                            continue;
                        };
                        deletes.push(id.clone());
                        let mut doc = TantivyDocument::default();
                        doc.add_text(self.fields.id, &id);
                        doc.add_text(self.fields.org, org.id.to_string());
                        doc.add_text(self.fields.channel, &channel);
                        doc.add_i64(self.fields.seq, entry.seq);
                        doc.add_text(body, &text_body);
                        doc.add_text(self.fields.words, &text_body);
                        texts.push(text_body);
                        docs.push((id, doc));
                    }
                    "message.deleted" => {
                        deletes.push(id.clone());
                        docs.retain(|(doc_id, _)| *doc_id != id);
                    }
                    _ => {}
                }
            }
            progress.insert(org.id, last);
        }
        if read == 0 {
            return Ok(0);
        }
        let writer = self.writer.clone();
        let index = self.index.clone();
        let fields = self.fields;
        let payload = serde_json::to_string(&progress).unwrap_or_default();
        tokio::task::spawn_blocking(move || -> Result<(), SearchError> {
            let mut slot = writer.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some(index.writer(WRITER_HEAP)?);
            }
            let Some(writer) = slot.as_mut() else {
                return Ok(());
            };
            let result = write_batch(writer, fields, deletes, docs, &payload);
            if result.is_err() {
                // Uncommitted changes are dropped with it; the batch is read again.
                *slot = None;
            }
            result
        })
        .await
        .map_err(|e| SearchError::Io(std::io::Error::other(e)))??;
        {
            let mut vocabulary = self.vocabulary_mut();
            for word in texts.iter().flat_map(|t| words_of(t)) {
                vocabulary.add(&word);
            }
        }
        self.reader.reload()?;
        *self.progress() = progress;
        Ok(read)
    }

    /// Indexes what is new, then rewrites the index without the documents it has deleted:
    /// a deleted document's text otherwise stays in the files until segments happen to be
    /// merged. After a redaction the text must be gone from disk too.
    pub async fn purge_deleted(&self) -> Result<(), SearchError> {
        while self.run_once().await? > 0 {}
        let _one_batch_at_a_time = self.indexing.lock().await;
        let writer = self.writer.clone();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || -> Result<(), SearchError> {
            let mut slot = writer.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some(index.writer(WRITER_HEAP)?);
            }
            let Some(writer) = slot.as_mut() else {
                return Ok(());
            };
            let segments = index.searchable_segment_ids()?;
            if !segments.is_empty() {
                writer.merge(&segments).wait()?;
            }
            writer.garbage_collect_files().wait()?;
            Ok(())
        })
        .await
        .map_err(|e| SearchError::Io(std::io::Error::other(e)))??;
        self.reader.reload()?;
        Ok(())
    }

    /// Documents deleted but still kept in the index's files.
    pub fn deleted_documents_kept(&self) -> u64 {
        let searcher = self.reader.searcher();
        searcher
            .segment_readers()
            .iter()
            .map(|r| u64::from(r.max_doc() - r.num_docs()))
            .sum()
    }

    /// Messages of `org` in `channels` matching `words`, best first.
    pub fn search(
        &self,
        org: OrgId,
        region: Region,
        channels: &[ChannelId],
        words: &str,
    ) -> Result<Vec<Hit>, SearchError> {
        if channels.is_empty() || words.trim().is_empty() {
            return Ok(Vec::new());
        }
        let body = body_field(&self.fields, region);
        let searcher = self.reader.searcher();
        let (words_query, marks) = {
            let vocabulary = self.vocabulary.read().unwrap_or_else(|e| e.into_inner());
            words_query(&self.index, body, self.fields.words, &vocabulary, words)
        };
        let in_channels: Vec<(Occur, Box<dyn Query>)> = channels
            .iter()
            .map(|c| {
                let term = Term::from_field_text(self.fields.channel, &c.to_string());
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        let query = BooleanQuery::new(vec![
            (Occur::Must, words_query),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.org, &org.to_string()),
                    IndexRecordOption::Basic,
                )),
            ),
            (Occur::Must, Box::new(BooleanQuery::new(in_channels))),
        ]);
        let top = searcher.search(&query, &TopDocs::with_limit(MAX_HITS).order_by_score())?;
        let mut snippets = SnippetGenerator::create(&searcher, marks.as_ref(), body)?;
        snippets.set_max_num_chars(200);
        let mut hits = Vec::new();
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).map(str::to_owned);
            let (Some(id), Some(channel)) = (text(self.fields.id), text(self.fields.channel))
            else {
                continue;
            };
            let (Ok(id), Ok(channel)) = (id.parse(), channel.parse()) else {
                continue;
            };
            hits.push(Hit {
                message: id,
                channel,
                seq: doc
                    .get_first(self.fields.seq)
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0),
                snippet_html: snippets.snippet_from_doc(&doc).to_html(),
                about: None,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index in memory holding `texts` in one language's field; what `query` finds.
    fn finds(region: Region, texts: &[&str], query: &str) -> Vec<String> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        register_tokenizers(&index);
        let body = body_field(&fields, region);
        let mut writer: IndexWriter = index.writer(15_000_000).unwrap();
        for text in texts {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.id, *text);
            doc.add_text(body, *text);
            doc.add_text(fields.words, *text);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let reader = index.reader().unwrap();
        let searcher = reader.searcher();
        let vocabulary = vocabulary_of(&reader, fields.words).unwrap();
        let (query, _) = words_query(&index, body, fields.words, &vocabulary, query);
        searcher
            .search(&query, &TopDocs::with_limit(10).order_by_score())
            .unwrap()
            .into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).unwrap();
                doc.get_first(fields.id)
                    .and_then(|v| v.as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// Each query finds its message among the others, and only it.
    fn check(region: Region, cases: &[(&str, &str)]) {
        let texts: Vec<&str> = cases.iter().map(|(_, text)| *text).collect();
        for (query, text) in cases {
            assert_eq!(finds(region, &texts, query), [*text], "{query:?}");
        }
    }

    #[test]
    fn swedish_words_are_found_in_their_other_forms_and_in_compounds() {
        check(
            Region::Se,
            &[
                ("översvämning", "Källaren i stadshuset är översvämmad."),
                ("serverhall", "Det är varmt i serverhallen."),
                ("stabsrum", "Samling i stabsrummet klockan nio."),
                ("strömavbrott", "Strömavbrotten drabbar hela norra delen."),
                ("reservkraft", "Reservkraftverket har startat."),
                ("vattenledning", "Vattenledningarna läcker."),
            ],
        );
        // Both forms of a word; and a word it is not.
        let texts = [
            "Översvämningen når vägen.",
            "Källaren är översvämmad.",
            "Det regnar.",
        ];
        assert_eq!(finds(Region::Se, &texts, "översvämning").len(), 2);
        assert!(finds(Region::Se, &["Strömmen är tillbaka."], "strömavbrott").is_empty());
        // Every word must be found.
        assert!(finds(
            Region::Se,
            &["Serverhallen är varm."],
            "serverhall översvämning"
        )
        .is_empty());
    }

    #[test]
    fn a_word_is_found_among_thousands_of_messages_that_share_its_common_pieces() {
        // "ing" and "nin" are in every one of these; "översvämning" is still found by its
        // telling pieces, and not in messages that share only the common ones.
        let mut texts: Vec<String> = (0..2500)
            .map(|i| format!("Testning nummer {i} pågår, ingen ändring."))
            .collect();
        texts.push("Källaren är översvämmad.".into());
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert_eq!(
            finds(Region::Se, &texts, "översvämning"),
            ["Källaren är översvämmad."]
        );
    }

    #[test]
    fn danish_words_are_found_in_their_other_forms_and_in_compounds() {
        check(
            Region::Dk,
            &[
                ("oversvømmelse", "Kælderen på rådhuset er oversvømmet."),
                ("serverrum", "Der er varmt i serverrummet."),
                ("strømafbrud", "Strømafbruddet rammer hele byen."),
                ("kriseledelse", "Kriseledelsens møde er kl. 10."),
                ("nødstrøm", "Nødstrømsanlægget er startet."),
            ],
        );
        assert!(finds(Region::Dk, &["Vi har strømsvigt."], "oversvømmelse").is_empty());
    }
}
