//! CSV tables (e.g. bulk users) with a line and column for every cell.
//!
//! Owns [`read_csv`] and [`CsvRow`]: header row required, cells trimmed, UTF-8 BOM and blank
//! lines tolerated, every problem (missing column, ragged row, invalid UTF-8) reported at
//! once. Must not know which columns a kind needs (the caller passes them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location, excerpt};

/// CSV files larger than this are refused before being read.
pub const MAX_CSV_BYTES: u64 = 64 * 1024 * 1024;

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// The CSV file.
    pub file: Arc<PathBuf>,
    /// 1-based line where the row starts.
    pub line: usize,
    /// The column names (from the header, trimmed), shared by every row of the file.
    header: Arc<[String]>,
    /// The trimmed cells, one after another.
    text: String,
    /// Per column: where its cell is in `text`, and where it starts in the file.
    cells: Vec<Cell>,
}

/// One cell of a [`CsvRow`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    /// Byte range in the row's text.
    range: (u32, u32),
    /// 1-based (line, col) where the cell starts in the file.
    at: (u32, u32),
}

impl CsvRow {
    /// Where the cell of `column` starts; the row's start for an unknown column.
    pub fn location(&self, column: &str) -> Location {
        let (line, col) = self
            .column(column)
            .map_or((self.line, 1), |c| (c.at.0 as usize, c.at.1 as usize));
        Location::new(self.file.as_path(), line, col)
    }

    /// The trimmed cell, `None` if the column does not exist or the cell is empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        Some(self.cell(column)).filter(|s| !s.is_empty())
    }

    /// The trimmed cell, `""` if the column does not exist.
    pub fn cell(&self, column: &str) -> &str {
        self.column(column)
            .map_or("", |c| &self.text[c.range.0 as usize..c.range.1 as usize])
    }

    fn column(&self, name: &str) -> Option<&Cell> {
        let i = self.header.iter().position(|h| h == name)?;
        self.cells.get(i)
    }
}

/// Reads a CSV file whose first row names the columns.
pub fn read_csv(path: &Path, required_columns: &[&str]) -> Result<Vec<CsvRow>, Diagnostics> {
    let (rows, diags) = read_csv_all(path, required_columns);
    diags.into_result(rows)
}

/// Like [`read_csv`], but also returns the well-formed rows of a file that has bad
/// ones, so that callers can check those rows too and report everything at once.
pub fn read_csv_all(path: &Path, required_columns: &[&str]) -> (Vec<CsvRow>, Diagnostics) {
    match read_bytes(path) {
        Ok(bytes) => parse_csv_all(path, &bytes, required_columns),
        Err(d) => (Vec::new(), d),
    }
}

/// Like [`read_csv_all`], also giving the file's text when it is UTF-8 (to show the lines
/// diagnostics point at), from the same single read.
pub fn read_csv_text(
    path: &Path,
    required_columns: &[&str],
) -> (Vec<CsvRow>, Diagnostics, Option<Arc<str>>) {
    match read_bytes(path) {
        Ok(bytes) => {
            let (rows, diags) = parse_csv_all(path, &bytes, required_columns);
            let text = std::str::from_utf8(&bytes).ok().map(Arc::from);
            (rows, diags, text)
        }
        Err(d) => (Vec::new(), d, None),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, Diagnostics> {
    let io_err = |e: std::io::Error| {
        Diagnostics::from(Diagnostic::error(format!(
            "cannot read {}: {e}",
            path.display()
        )))
    };
    let len = std::fs::metadata(path).map_err(io_err)?.len();
    if len > MAX_CSV_BYTES {
        return Err(Diagnostic::error(format!(
            "{} is too large ({len} bytes; the limit is {MAX_CSV_BYTES})",
            path.display()
        ))
        .at(Location::new(path, 1, 1))
        .into());
    }
    std::fs::read(path).map_err(io_err)
}

/// [`read_csv`] on bytes already in memory (`path` is only used for locations).
pub fn parse_csv(
    path: &Path,
    bytes: &[u8],
    required_columns: &[&str],
) -> Result<Vec<CsvRow>, Diagnostics> {
    let (rows, diags) = parse_csv_all(path, bytes, required_columns);
    diags.into_result(rows)
}

/// [`read_csv_all`] on bytes already in memory.
pub fn parse_csv_all(
    path: &Path,
    bytes: &[u8],
    required_columns: &[&str],
) -> (Vec<CsvRow>, Diagnostics) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let file = Arc::new(path.to_path_buf());
    let at = |line, col| Location::new(path, line, col);
    let mut diags = Diagnostics::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut header: Option<Arc<[String]>> = None;
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map_or(start.line() as usize, |p| p.line() as usize);
                diags.push(Diagnostic::error(format!("invalid CSV: {e}")).at(at(line, 1)));
                break;
            }
        }
        let rec_pos = record.position().cloned().unwrap_or(start);
        // After a CRLF or blank lines the reported start may sit on the line breaks
        // preceding the record; skip them.
        let (mut offset, mut line) = (rec_pos.byte() as usize, rec_pos.line() as usize);
        while let Some(b) = bytes.get(offset).filter(|b| **b == b'\r' || **b == b'\n') {
            line += usize::from(*b == b'\n');
            offset += 1;
        }
        // A line of only spaces is a single blank field: treat it like an empty line.
        if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let starts = cell_starts(bytes, offset, line, record.len());
        let Some(cells) = decode_cells(&record, &starts, line, path, &mut diags) else {
            continue;
        };
        let Some(names) = &header else {
            let names: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
            check_header(&names, &starts, required_columns, path, &mut diags);
            header = Some(names.into());
            continue;
        };
        if let Some(d) = ragged(cells.len(), names.len(), &starts, at(line, 1)) {
            diags.push(d);
            continue;
        }
        rows.push(row(&file, line, names, &cells, &starts));
    }
    if let Some((line, col)) = unclosed_quote(bytes) {
        // The CSV reader takes an unclosed quote as running to the end of the file, which
        // silently swallows every row after it.
        diags.push(
            Diagnostic::error("this quote is never closed")
                .at(at(line, col))
                .with_hint("close the quoted cell with `\"`, and write a quote inside a quoted cell as `\"\"`"),
        );
    }
    if header.is_none() && !diags.has_errors() {
        diags.push(
            Diagnostic::error("empty CSV file: expected a header row naming the columns")
                .at(at(1, 1)),
        );
    }
    (rows, diags)
}

/// A data row of `file` at `line` from its trimmed cells and where they start.
fn row(
    file: &Arc<PathBuf>,
    line: usize,
    header: &Arc<[String]>,
    cells: &[&str],
    starts: &[(usize, usize)],
) -> CsvRow {
    let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut text = String::with_capacity(cells.iter().map(|c| c.len()).sum());
    let cells = cells
        .iter()
        .zip(starts)
        .map(|(cell, &(l, c))| {
            let begin = narrow(text.len());
            text.push_str(cell);
            Cell {
                range: (begin, narrow(text.len())),
                at: (narrow(l), narrow(c)),
            }
        })
        .collect();
    CsvRow {
        file: Arc::clone(file),
        line,
        header: Arc::clone(header),
        text,
        cells,
    }
}

/// The record's cells as trimmed text; `None` (with an error per cell) when any is not
/// UTF-8.
fn decode_cells<'r>(
    record: &'r csv::ByteRecord,
    starts: &[(usize, usize)],
    line: usize,
    path: &Path,
    diags: &mut Diagnostics,
) -> Option<Vec<&'r str>> {
    let mut cells = Vec::with_capacity(record.len());
    let mut bad = false;
    for (i, raw) in record.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(s) => cells.push(s.trim()),
            Err(_) => {
                let (l, c) = starts.get(i).copied().unwrap_or((line, 1));
                diags.push(
                    Diagnostic::error("invalid UTF-8")
                        .at(Location::new(path, l, c))
                        .with_hint("save the file as UTF-8"),
                );
                bad = true;
            }
        }
    }
    (!bad).then_some(cells)
}

/// The error for a row of `len` cells under a header of `want` (at the first extra cell,
/// or at the row's start `row` when cells are missing).
fn ragged(len: usize, want: usize, starts: &[(usize, usize)], row: Location) -> Option<Diagnostic> {
    if len == want {
        return None;
    }
    let col = match starts.get(want) {
        Some(&(_, c)) if len > want => c,
        _ => 1,
    };
    let plural = if len == 1 { "" } else { "s" };
    Some(
        Diagnostic::error(format!(
            "row has {len} field{plural}, the header has {want}"
        ))
        .at(Location { col, ..row })
        .with_hint("quote cells that contain commas"),
    )
}

fn check_header(
    names: &[String],
    starts: &[(usize, usize)],
    required: &[&str],
    path: &Path,
    diags: &mut Diagnostics,
) {
    for (i, name) in names.iter().enumerate() {
        let (l, c) = starts.get(i).copied().unwrap_or((1, 1));
        if name.is_empty() {
            diags.push(
                Diagnostic::error("empty column name in the header").at(Location::new(path, l, c)),
            );
        } else if names[..i].contains(name) {
            diags.push(
                Diagnostic::error(format!("duplicate column `{}`", excerpt(name)))
                    .at(Location::new(path, l, c)),
            );
        }
    }
    let line = starts.first().map_or(1, |s| s.0);
    for col in required {
        if !names.iter().any(|n| n == col) {
            diags.push(
                Diagnostic::error(format!("missing required column `{col}`"))
                    .at(Location::new(path, line, 1))
                    .with_hint(header_summary(names)),
            );
        }
    }
}

/// `the header has: a, b, c` with each name shortened and at most a dozen names, so a
/// file that is not a CSV at all (one long line) is not replayed into the output.
fn header_summary(names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut list: Vec<String> = names.iter().take(SHOWN).map(|n| excerpt(n)).collect();
    if names.len() > SHOWN {
        list.push(format!("… ({} more)", names.len() - SHOWN));
    }
    format!("the header has: {}", list.join(", "))
}

/// Where a quoted cell opens that is still open at the end of the file (RFC 4180: a
/// quote opens a cell only at its start; `""` inside is an escaped quote).
fn unclosed_quote(bytes: &[u8]) -> Option<(usize, usize)> {
    let text = String::from_utf8_lossy(bytes);
    let (mut line, mut col) = (1, 0);
    let mut at_cell_start = true;
    let mut open: Option<(usize, usize)> = None;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        col += 1;
        match (open.is_some(), ch) {
            (false, '"') if at_cell_start => open = Some((line, col)),
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                col += 1;
            }
            (true, '"') => open = None,
            _ => {}
        }
        // Like the CSV reader, a lone CR ends a record too.
        at_cell_start = open.is_none() && matches!(ch, ',' | '\n' | '\r');
        if ch == '\n' {
            line += 1;
            col = 0;
        }
    }
    open
}

/// (line, col) where each of the first `count` cells of the record at byte `offset` starts,
/// found by re-scanning the raw text (quote-aware, so commas and newlines inside quotes
/// are skipped). Columns count characters.
fn cell_starts(bytes: &[u8], offset: usize, line: usize, count: usize) -> Vec<(usize, usize)> {
    // Scans bytes (not a decoded copy of the rest of the file, which made big files
    // quadratic) and stops at the record's end.
    let mut starts = vec![(line, 1)];
    let (mut l, mut c) = (line, 1);
    let mut in_quotes = false;
    for &b in bytes.get(offset..).unwrap_or_default() {
        if starts.len() >= count {
            break;
        }
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => starts.push((l, c + 1)),
            b'\n' if !in_quotes => break,
            _ => {}
        }
        if b == b'\n' {
            l += 1;
            c = 1;
        } else if b != b'\r' && (b & 0xC0) != 0x80 {
            // One column per character: UTF-8 continuation bytes do not count.
            c += 1;
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8], required: &[&str]) -> Result<Vec<CsvRow>, Diagnostics> {
        parse_csv(Path::new("u.csv"), text, required)
    }

    fn locs(d: &Diagnostics) -> Vec<(usize, usize, &str)> {
        d.iter()
            .map(|d| {
                let l = d.location.as_ref().unwrap();
                (l.line, l.col, d.message.as_str())
            })
            .collect()
    }

    #[test]
    fn reads_rows_with_cell_locations() {
        let text =
            "\u{feff}name , email,skills\nAnn, ann@x.io ,\"a,b\"\n\n\"Bo\nb\",bob@x.io,c\n\n\n";
        let rows = parse(text.as_bytes(), &["name", "email"]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].cell("email"), "ann@x.io");
        assert_eq!(rows[0].cell("skills"), "a,b");
        assert_eq!(rows[0].location("email"), Location::new("u.csv", 2, 5));
        assert_eq!(rows[0].location("skills"), Location::new("u.csv", 2, 16));
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].cell("name"), "Bo\nb");
        assert_eq!(rows[1].location("email"), Location::new("u.csv", 5, 4));
        assert_eq!(rows[1].location("nope"), Location::new("u.csv", 4, 1));
        assert_eq!(rows[0].get("name"), Some("Ann"));
    }

    #[test]
    fn reports_every_problem_with_line_and_col() {
        let mut text = b"name,email\nAnn,a@x.io,extra\nBob\nok,ok@x.io\n".to_vec();
        text.extend_from_slice(b"Cid,c\xff@x.io\n");
        let diags = parse(&text, &["name", "email", "division"]).unwrap_err();
        assert_eq!(
            locs(&diags),
            vec![
                (1, 1, "missing required column `division`"),
                (2, 12, "row has 3 fields, the header has 2"),
                (3, 1, "row has 1 field, the header has 2"),
                (5, 5, "invalid UTF-8"),
            ]
        );
    }

    #[test]
    fn empty_file_and_duplicate_columns() {
        let diags = parse(b"", &[]).unwrap_err();
        assert!(diags.0[0].message.starts_with("empty CSV file"));
        let diags = parse(b"\n  \n", &[]).unwrap_err();
        assert!(diags.0[0].message.starts_with("empty CSV file"));
        let diags = parse(b"a,b,a\n1,2,3\n", &[]).unwrap_err();
        assert_eq!(locs(&diags), vec![(1, 5, "duplicate column `a`")]);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_at_the_quote() {
        let diags = parse(b"name,email\nAnn,a@x.io\n\"\n", &[]).unwrap_err();
        assert_eq!(locs(&diags), vec![(3, 1, "this quote is never closed")]);
        let diags = parse(b"name,email\nAnn,\"a@x.io\nBob,b@x.io\n", &[]).unwrap_err();
        assert_eq!(
            locs(&diags).last().unwrap(),
            &(2, 5, "this quote is never closed")
        );
        // Escaped quotes and quotes inside unquoted cells are fine.
        let rows = parse(b"name,note\n\"A \"\"B\"\"\",x\"y\n", &[]).unwrap();
        assert_eq!(rows[0].cell("name"), "A \"B\"");
    }

    #[test]
    fn big_files_keep_every_row_located() {
        // How the time grows with the rows is measured by `cargo bench --bench validate`.
        let mut text = String::from("name,email\n");
        for i in 0..40_000 {
            text.push_str(&format!("User {i},user{i}@example.com\n"));
        }
        let rows = parse(text.as_bytes(), &["email"]).unwrap();
        assert_eq!(rows.len(), 40_000);
        assert_eq!(
            rows[39_999].location("email"),
            Location::new("u.csv", 40_001, 12)
        );
        assert_eq!(rows[39_999].cell("name"), "User 39999");
    }

    #[test]
    fn reads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "a,b\r\n1,2\r\n\r\n3,4\r\n").unwrap();
        let rows = read_csv(&p, &["a"]).unwrap();
        assert_eq!(rows[0].cell("a"), "1");
        assert_eq!(rows[0].location("b"), Location::new(&p, 2, 3));
        assert_eq!(rows[1].location("b"), Location::new(&p, 4, 3));
        assert!(read_csv(&dir.path().join("none.csv"), &[]).is_err());
    }
}
