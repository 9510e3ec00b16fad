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
