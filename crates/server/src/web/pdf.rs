//! A plain A4 document as PDF: headings, wrapped paragraphs and two-column rows (a time and
//! what happened), paged as they fill. Set in the standard Helvetica faces every PDF reader
//! has, with the Windows-1252 encoding, which holds Swedish, Danish and Norwegian letters;
//! so nothing is embedded and a text extractor (`pdftotext`) reads the words back.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Where the text of a two-column row starts.
const COLUMN: f32 = 120.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

/// Width of a character in thousandths of the font size (the fonts' published metrics;
/// letters with marks are as wide as the letter).
fn width(c: char, face: Face) -> f32 {
    let bold = face == Face::Bold;
    let base = match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ð' => 'D',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' => 'Y',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ð' | 'ò'..='ö' | 'ø' => 'o',
        'ñ' => 'n',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    };
    let w: u16 = match (base, bold) {
        (' ', _) => 278,
        ('i' | 'j' | 'l', false) => 222,
        ('i' | 'j' | 'l', true) => 278,
        ('f' | 't', false) => 278,
        ('f' | 't', true) => 333,
        ('r', false) => 333,
        ('r', true) => 389,
        ('m', false) => 833,
        ('m', true) => 889,
        ('w', false) => 722,
        ('w', true) => 778,
        ('c' | 'k' | 's' | 'v' | 'x' | 'y', false) => 500,
        ('c' | 'k' | 's' | 'v' | 'x' | 'y', true) => 556,
        ('z', _) => 500,
        ('a'..='z', false) => 556,
        ('a' | 'e', true) => 556,
        ('a'..='z', true) => 611,
        ('I', _) => 278,
        ('J', false) => 500,
        ('J', true) => 556,
        ('L', false) => 556,
        ('L', true) => 611,
        ('F' | 'T' | 'Z', _) => 611,
        ('A' | 'B' | 'K', false) => 667,
        ('A' | 'B' | 'K', true) => 722,
        ('E' | 'P' | 'S' | 'V' | 'X' | 'Y', _) => 667,
        ('C' | 'D' | 'H' | 'N' | 'R' | 'U', _) => 722,
        ('G' | 'O' | 'Q', _) => 778,
        ('M', _) => 833,
        ('W', _) => 944,
        ('0'..='9', _) => 556,
        ('.' | ',' | '/' | '\'' | '!', _) => 333,
        (':' | ';', _) => 333,
        ('-' | '(' | ')' | '[' | ']' | '`', _) => 333,
        ('Æ', _) | ('—' | '…', _) => 1000,
        ('æ', _) => 889,
        ('ß', _) => 611,
        ('@', _) => 1015,
        ('%', _) => 889,
        ('&', _) => 722,
        ('"', _) => 474,
        ('*', _) => 389,
        ('+' | '<' | '=' | '>' | '~' | '×' | '÷', _) => 584,
        _ => 611,
    };
    f32::from(w)
}

fn text_width(text: &str, face: Face, size: f32) -> f32 {
    text.chars().map(|c| width(c, face)).sum::<f32>() * size / 1000.0
}

/// The text in Windows-1252, a `?` for what it does not hold.
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Breaks `text` into lines no wider than `max` points, at spaces (a word longer than a
/// line is broken where it must).
fn wrap(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = match line.is_empty() {
                true => word.to_owned(),
                false => format!("{line} {word}"),
            };
            if text_width(&candidate, face, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line on its own: as much as fits, then the rest.
            let mut rest = word.to_owned();
            while text_width(&rest, face, size) > max {
                let mut cut = String::new();
                for c in rest.chars() {
                    if text_width(&format!("{cut}{c}"), face, size) > max && !cut.is_empty() {
                        break;
                    }
                    cut.push(c);
                }
                rest = rest[cut.len()..].to_owned();
                lines.push(cut);
            }
            line = rest;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

pub struct Document {
    title: String,
    lang: String,
    pages: Vec<Vec<u8>>,
    page: Content,
    /// The baseline of the next line, from the bottom of the page.
    y: f32,
}

impl Document {
    pub fn new(title: &str, lang: &str) -> Self {
        Self {
            title: title.to_owned(),
            lang: lang.to_owned(),
            pages: Vec::new(),
            page: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    /// Room for `height` more points on this page, or a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            let full = std::mem::replace(&mut self.page, Content::new());
            self.pages.push(full.finish().into_vec());
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    fn line_at(&mut self, x: f32, face: Face, size: f32, text: &str) {
        self.page
            .begin_text()
            .set_font(
                match face {
                    Face::Regular => REGULAR,
                    Face::Bold => BOLD,
                },
                size,
            )
            .next_line(x, self.y)
            .show(Str(&encode(text)))
            .end_text();
    }

    fn lines(&mut self, text: &str, face: Face, size: f32) {
        let leading = size * 1.35;
        for line in wrap(text, face, size, TEXT_WIDTH) {
            self.room(leading);
            self.y -= leading;
            self.line_at(MARGIN, face, size, &line);
        }
    }

    pub fn title(&mut self, text: &str) {
        self.lines(text, Face::Bold, 18.0);
        self.y -= 6.0;
    }

    pub fn heading(&mut self, text: &str) {
        // A heading is not left alone at the foot of a page.
        self.room(60.0);
        self.y -= 10.0;
        self.lines(text, Face::Bold, 13.0);
        self.y -= 2.0;
    }

    pub fn strong(&mut self, text: &str) {
        self.lines(text, Face::Bold, 10.0);
    }

    pub fn paragraph(&mut self, text: &str) {
        self.lines(text, Face::Regular, 10.0);
        self.y -= 3.0;
    }

    /// A row of two columns: a short label (a time) and text that wraps beside it.
    pub fn row(&mut self, label: &str, text: &str) {
        let size = 10.0;
        let leading = size * 1.35;
        let labels = wrap(label, Face::Bold, size, COLUMN - 8.0);
        let lines = wrap(text, Face::Regular, size, TEXT_WIDTH - COLUMN);
        for i in 0..labels.len().max(lines.len()) {
            self.room(leading);
            self.y -= leading;
            if let Some(label) = labels.get(i) {
                self.line_at(MARGIN, Face::Bold, size, label);
            }
            if let Some(line) = lines.get(i) {
                self.line_at(MARGIN + COLUMN, Face::Regular, size, line);
            }
        }
        self.y -= 2.0;
    }

    pub fn finish(mut self) -> Vec<u8> {
        let last = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(last.finish().into_vec());
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let mut next = 6;
        let mut ids = Vec::new();
        for _ in &self.pages {
            ids.push((Ref::new(next), Ref::new(next + 1)));
            next += 2;
        }
        pdf.catalog(catalog).pages(tree).lang(TextStr(&self.lang));
        pdf.pages(tree)
            .kids(ids.iter().map(|(page, _)| *page))
            .count(i32::try_from(ids.len()).unwrap_or(i32::MAX));
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .creator(TextStr("Beredskap"));
        for ((page_id, content_id), content) in ids.iter().zip(&self.pages) {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
            page.parent(tree);
            page.contents(*content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            pdf.stream(*content_id, content);
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nordic_letters_are_in_the_encoding_and_the_rest_is_marked() {
        assert_eq!(encode("Åsa Ødegaard – ✓"), b"\xc5sa \xd8degaard \x96 ?");
    }

    #[test]
    fn lines_wrap_within_the_width_and_long_words_are_broken() {
        let text = "Telefonin ligger nere i hela kommunhuset och reservtelefonerna delas ut";
        let lines = wrap(text, Face::Regular, 10.0, 150.0);
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| text_width(l, Face::Regular, 10.0) <= 150.0));
        assert_eq!(lines.join(" "), text);
        let long = "x".repeat(100);
        let broken = wrap(&long, Face::Bold, 10.0, 100.0);
        assert!(broken.len() > 1 && broken.concat() == long);
    }
}
