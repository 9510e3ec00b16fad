//! How a search's words find other forms of themselves. Swedish and Danish make words by
//! joining them (`stabs|rummet`, `server|hallen`) and inflect by changing the end
//! (`översvämning`, `översvämmad`), where a stemmer alone finds neither: most of a query
//! word's three-letter pieces are in each of them. The message index (tantivy) and the
//! search over channel names and incident titles use the same pieces and rules.

/// Letters in a piece.
pub const GRAM: usize = 3;
/// A query word shorter than this is matched by its stem (the index) or as the start of a
/// word (names) only: its few pieces would be found in too many other words.
pub const GRAM_WORD: usize = 5;
/// The share of a query word's pieces a text must have.
pub const GRAM_SHARE: f64 = 0.6;
/// Query words looked at, so a pasted paragraph cannot make a huge query.
pub const MAX_QUERY_WORDS: usize = 16;
/// Words a query may use as operators; never searched for.
pub const OPERATORS: [&str; 3] = ["and", "or", "not"];

/// The words of a text, lower-cased: runs of letters and digits.
pub fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// A word's distinct three-letter pieces, in order: `stabsrum` → `sta tab abs bsr sru rum`.
pub fn word_grams(word: &str) -> Vec<String> {
    let letters: Vec<char> = word.chars().collect();
    let mut pieces: Vec<String> = Vec::new();
    for piece in letters.windows(GRAM) {
        let piece: String = piece.iter().collect();
        if !pieces.contains(&piece) {
            pieces.push(piece);
        }
    }
    pieces
}

/// How many of a word's pieces a text must have to be found by it.
pub fn pieces_needed(pieces: usize) -> usize {
    (pieces as f64 * GRAM_SHARE).ceil() as usize
}

/// Words of this many bytes or more are not indexed (nor kept in a [`Vocabulary`]): a
/// pasted link or a hash tells a search nothing.
pub const MAX_WORD_BYTES: usize = 40;
/// Forms of one query word looked up at most, the closest first.
pub const MAX_FORMS: usize = 50;

/// The distinct words an index holds, by their pieces: a query word's other forms and the
/// compounds it is part of are found here, among the words, and then looked up in the
/// index as words. (Looking for the pieces among the messages instead costs a walk through
/// every message holding a common piece.)
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Each word once, numbered in the order it came.
    words: indexmap::IndexSet<String>,
    by_piece: std::collections::HashMap<String, Vec<u32>>,
}

impl Vocabulary {
    /// Adds a word (lower-cased, as [`words_of`] gives it); a word seen before, a word too
    /// short to have a piece or too long to be indexed is left out.
    pub fn add(&mut self, word: &str) {
        if word.len() >= MAX_WORD_BYTES || word.chars().count() < GRAM || self.words.contains(word)
        {
            return;
        }
        let Ok(at) = u32::try_from(self.words.len()) else {
            return;
        };
        for piece in word_grams(word) {
            self.by_piece.entry(piece).or_default().push(at);
        }
        self.words.insert(word.to_owned());
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words `query_word` finds: those holding at least [`pieces_needed`] of its
    /// pieces (itself among them), those sharing the most first, then the shortest; at
    /// most [`MAX_FORMS`].
    pub fn forms(&self, query_word: &str) -> Vec<&str> {
        let pieces = word_grams(query_word);
        if pieces.is_empty() {
            return Vec::new();
        }
        let needed = pieces_needed(pieces.len());
        // A word lacking all of any (pieces - needed + 1) of the pieces has too few: every
        // form holds one of the rarest that many, so only their words are looked at.
        let mut lists: Vec<&[u32]> = pieces
            .iter()
            .map(|p| self.by_piece.get(p).map(Vec::as_slice).unwrap_or(&[]))
            .collect();
        lists.sort_by_key(|l| l.len());
        let mut candidates: Vec<u32> = lists[..pieces.len() - needed + 1]
            .iter()
            .flat_map(|l| l.iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut found: Vec<(usize, &str)> = candidates
            .into_iter()
            .filter_map(|i| self.words.get_index(i as usize))
            .map(|w| {
                let shared = pieces.iter().filter(|p| w.contains(p.as_str())).count();
                (shared, w.as_str())
            })
            .filter(|(shared, _)| *shared >= needed)
            .collect();
        found.sort_by_key(|(shared, w)| (std::cmp::Reverse(*shared), w.len(), *w));
        found.into_iter().take(MAX_FORMS).map(|(_, w)| w).collect()
    }
}

/// Whether a short text (a channel's name, an incident's title) is found by `query`: every
/// query word, by most of its pieces, or — when it is short — as the start of one of the
/// text's words.
pub fn name_matches(query: &str, name: &str) -> bool {
    let name_words: Vec<String> = words_of(name).collect();
    let name_pieces: std::collections::HashSet<String> =
        name_words.iter().flat_map(|w| word_grams(w)).collect();
    let mut any = false;
    for word in words_of(query)
        .filter(|w| !OPERATORS.contains(&w.as_str()))
        .take(MAX_QUERY_WORDS)
    {
        any = true;
        let found = match word.chars().count() >= GRAM_WORD {
            true => {
                let pieces = word_grams(&word);
                let have = pieces.iter().filter(|p| name_pieces.contains(*p)).count();
                have >= pieces_needed(pieces.len())
            }
            false => name_words.iter().any(|w| w.starts_with(&word)),
        };
        if !found {
            return false;
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vocabulary_finds_a_words_other_forms_and_compounds_and_not_words_sharing_common_pieces() {
        let mut v = Vocabulary::default();
        for w in [
            "översvämmad",
            "översvämningen",
            "testning",
            "ingen",
            "ändring",
            "serverhallen",
            "server",
            "stabsrummet",
            "i",
            "översvämmad",
        ] {
            v.add(w);
        }
        assert_eq!(v.len(), 8, "each word once; 'i' has no piece");
        assert_eq!(v.forms("översvämning"), ["översvämningen", "översvämmad"]);
        assert_eq!(v.forms("serverhall"), ["serverhallen"]);
        assert_eq!(v.forms("stabsrum"), ["stabsrummet"]);
        assert!(v.forms("strömavbrott").is_empty());
        assert!(v.forms("").is_empty());
    }

    #[test]
    fn names_are_found_by_other_forms_compounds_and_the_start_of_a_word() {
        for (query, name) in [
            ("kris", "Krisledningsgrupp"),
            ("krisledning", "Krisledningsgruppen"),
            ("stabsrum", "Samling i stabsrummet"),
            ("översvämning", "Översvämmad källare i stadshuset"),
            ("serverhall", "Värme i serverhallen"),
            ("Serverhall värme", "Värme i serverhallen"),
            ("oversvømmelse", "Kælderen er oversvømmet"),
            ("strømafbrud", "Strømafbruddet i Nordby"),
        ] {
            assert!(name_matches(query, name), "{query:?} should find {name:?}");
        }
        for (query, name) in [
            ("kris", "Stab"),
            ("serverhall", "Vattenläcka i stadshuset"),
            ("serverhall värme", "Serverhallen"),
            ("", "Krisledningsgrupp"),
            ("and or", "Krisledningsgrupp"),
            ("ris", "Krisledningsgrupp"),
        ] {
            assert!(
                !name_matches(query, name),
                "{query:?} should not find {name:?}"
            );
        }
    }
}
