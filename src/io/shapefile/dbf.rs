//! The dBASE table (`.dbf`) of a shapefile: one row of attributes per shape.
//!
//! Only what shapefiles use is read: character (`C`), numeric (`N`), float (`F`), logical (`L`)
//! and date (`D`) fields. Cells are fixed-width text; padding is trimmed and a blank cell is an
//! absent value, so a blank number never becomes 0. Text is decoded with the encoding the caller
//! resolved from the `.cpg` file or the language-driver byte ([`Dbf::language_driver`]).

use std::borrow::Cow;

use encoding_rs::Encoding;

use crate::io::IoError;

/// The type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Character,
    Numeric,
    Logical,
    Date,
}

/// One column: its name (decoded, trimmed), type and byte range within a record.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    offset: usize,
    len: usize,
}

/// A cell's value, typed by its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number with its trimmed text (kept so a numeric code can stay text, zeros and all).
    Number {
        text: String,
        value: f64,
    },
    Bool(bool),
    /// `YYYY-MM-DD`.
    Date(String),
}

/// A parsed `.dbf`: the field list and the raw records.
#[derive(Debug)]
pub struct Dbf<'a> {
    pub fields: Vec<Field>,
    records: Vec<&'a [u8]>,
    encoding: &'static Encoding,
}

/// Byte 29 of the header: the code page as a language-driver id.
#[must_use]
pub fn language_driver(bytes: &[u8]) -> u8 {
    bytes.get(29).copied().unwrap_or(0)
}

fn format(reason: impl Into<String>) -> IoError {
    IoError::Format(format!("the .dbf {}", reason.into()))
}

impl<'a> Dbf<'a> {
    /// Reads the header and the field descriptors, and splits the records.
    ///
    /// # Errors
    /// When the header is malformed, a field has a type shapefiles do not use, or the file is
    /// shorter than its header says.
    pub fn read(bytes: &'a [u8], encoding: &'static Encoding) -> Result<Self, IoError> {
        if bytes.len() < 32 {
            return Err(format("is too short to be a dBASE file"));
        }
        let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        let record_len = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
        if header_len < 33 || header_len > bytes.len() || record_len == 0 {
            return Err(format("has a malformed header"));
        }
        let mut fields = Vec::new();
        // Byte 0 of a record is the deletion flag.
        let mut offset = 1;
        let mut at = 32;
        while at + 32 <= header_len && bytes[at] != 0x0D {
            let d = &bytes[at..at + 32];
            let raw_name = d[..11].split(|&b| b == 0).next().unwrap_or_default();
            let name = decode(raw_name, encoding)
                .map_or_else(|| String::from_utf8_lossy(raw_name), Cow::from)
                .trim()
                .to_owned();
            let len = usize::from(d[16]);
            let kind = match d[11].to_ascii_uppercase() {
                b'C' => FieldKind::Character,
                b'N' | b'F' => FieldKind::Numeric,
                b'L' => FieldKind::Logical,
                b'D' => FieldKind::Date,
                other => {
                    return Err(format(format!(
                        "field `{name}` has type `{}`, which shapefiles do not use: only C, N, F, L and D fields are read",
                        char::from(other)
                    )));
                }
            };
            fields.push(Field {
                name,
                kind,
                offset,
                len,
            });
            offset += len;
            at += 32;
        }
        if offset > record_len {
            return Err(format(format!(
                "fields take {offset} bytes but a record has {record_len}"
            )));
        }
        let body = &bytes[header_len..];
        if body.len() / record_len < count {
            return Err(format(format!(
                "is truncated: its header says {count} records, it holds {}",
                body.len() / record_len
            )));
        }
        let records = body.chunks_exact(record_len).take(count).collect();
        Ok(Self {
            fields,
            records,
            encoding,
        })
    }

    /// The number of records, deleted ones included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether record `i` (from 0) is marked deleted.
    #[must_use]
    pub fn is_deleted(&self, i: usize) -> bool {
        self.records
            .get(i)
            .is_some_and(|r| r.first() == Some(&b'*'))
    }

    /// The cells of record `i` (from 0), one per field; `None` for a blank cell.
    ///
    /// # Errors
    /// `(field name, reason)` for a cell that cannot be decoded or read as its type.
    pub fn row(&self, i: usize) -> Result<Vec<Option<Cell>>, (String, String)> {
        let record = self.records.get(i).copied().unwrap_or_default();
        self.fields
            .iter()
            .map(|f| {
                let raw = record.get(f.offset..f.offset + f.len).unwrap_or_default();
                self.cell(f, raw).map_err(|reason| (f.name.clone(), reason))
            })
            .collect()
    }

    fn cell(&self, field: &Field, raw: &[u8]) -> Result<Option<Cell>, String> {
        // Some writers pad with NUL bytes instead of spaces.
        let raw = trim_bytes(raw);
        if raw.is_empty() {
            return Ok(None);
        }
        if field.kind == FieldKind::Character {
            let text = decode(raw, self.encoding).ok_or_else(|| {
                format!(
                    "the text is not valid {}; say the file's encoding in a .cpg file (e.g. GBK)",
                    self.encoding.name()
                )
            })?;
            return Ok(Some(Cell::Text(text.trim().to_owned())));
        }
        let text = String::from_utf8_lossy(raw);
        match field.kind {
            FieldKind::Numeric => {
                // `*` fills a number that overflowed its width; `.` alone is how some writers
                // leave a float blank.
                if text.chars().all(|c| c == '*' || c == '.') {
                    return Ok(None);
                }
                let value = text
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("`{text}` is not a number"))?;
                Ok(Some(Cell::Number {
                    text: text.into_owned(),
                    value,
                }))
            }
            FieldKind::Logical => match raw[0].to_ascii_uppercase() {
                b'T' | b'Y' => Ok(Some(Cell::Bool(true))),
                b'F' | b'N' => Ok(Some(Cell::Bool(false))),
                b'?' => Ok(None),
                _ => Err(format!("`{text}` is not a logical value (T or F)")),
            },
            FieldKind::Date => {
                if text.bytes().all(|b| b == b'0') {
                    return Ok(None);
                }
                if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(Some(Cell::Date(format!(
                        "{}-{}-{}",
                        &text[..4],
                        &text[4..6],
                        &text[6..]
                    ))))
                } else {
                    Err(format!("`{text}` is not a date (YYYYMMDD)"))
                }
            }
            FieldKind::Character => unreachable!("handled above"),
        }
    }
}

/// Strips spaces and NUL bytes at both ends.
fn trim_bytes(raw: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = raw.iter().position(|b| !pad(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !pad(b)).map_or(start, |e| e + 1);
    &raw[start..end]
}

/// Decodes `raw` strictly: `None` when it is not valid in `encoding`.
fn decode<'b>(raw: &'b [u8], encoding: &'static Encoding) -> Option<Cow<'b, str>> {
    encoding.decode_without_bom_handling_and_without_replacement(raw)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A dBASE III table of `fields` (name, type, length, decimals) and text rows.
    pub fn table(ldid: u8, fields: &[(&[u8], u8, u8)], rows: &[(bool, Vec<&[u8]>)]) -> Vec<u8> {
        let record_len: usize = 1 + fields.iter().map(|f| usize::from(f.2)).sum::<usize>();
        let header_len = 32 + 32 * fields.len() + 1;
        let mut out = vec![0x03, 126, 1, 1];
        out.extend(u32::try_from(rows.len()).expect("rows").to_le_bytes());
        out.extend(u16::try_from(header_len).expect("header").to_le_bytes());
        out.extend(u16::try_from(record_len).expect("record").to_le_bytes());
        out.resize(32, 0);
        out[29] = ldid;
        for (name, kind, len) in fields {
            let mut d = [0u8; 32];
            d[..name.len()].copy_from_slice(name);
            d[11] = *kind;
            d[16] = *len;
            out.extend(d);
        }
        out.push(0x0D);
        for (deleted, cells) in rows {
            out.push(if *deleted { b'*' } else { b' ' });
            for ((_, _, len), cell) in fields.iter().zip(cells) {
                let mut c = cell.to_vec();
                c.resize(usize::from(*len), b' ');
                out.extend(c);
            }
        }
        out.push(0x1A);
        out
    }

    #[test]
    fn cells_are_typed_trimmed_and_blank_numbers_are_absent() {
        let bytes = table(
            0,
            &[
                (b"name", b'C', 12),
                (b"households", b'N', 6),
                (b"range_m", b'F', 8),
                (b"ok", b'L', 1),
                (b"since", b'D', 8),
            ],
            &[
                (
                    false,
                    vec![b"  East 1 ", b"   42", b"  80.50", b"T", b"20260131"],
                ),
                (false, vec![b"", b"      ", b"********", b"?", b"00000000"]),
                (true, vec![b"gone", b"1", b"1", b"F", b"20260101"]),
            ],
        );
        let dbf = Dbf::read(&bytes, encoding_rs::UTF_8).expect("reads");
        assert_eq!(dbf.len(), 3);
        let names: Vec<_> = dbf.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["name", "households", "range_m", "ok", "since"]);
        assert_eq!(
            dbf.row(0).expect("row"),
            vec![
                Some(Cell::Text("East 1".into())),
                Some(Cell::Number {
                    text: "42".into(),
                    value: 42.0
                }),
                Some(Cell::Number {
                    text: "80.50".into(),
                    value: 80.5
                }),
                Some(Cell::Bool(true)),
                Some(Cell::Date("2026-01-31".into())),
            ]
        );
        assert_eq!(dbf.row(1).expect("row"), vec![None; 5]);
        assert!(!dbf.is_deleted(1));
        assert!(dbf.is_deleted(2));
    }

    #[test]
    fn gbk_text_is_decoded_and_bad_bytes_are_named() {
        let (name, _, _) = encoding_rs::GBK.encode("东街社区");
        let bytes = table(0x4D, &[(b"name", b'C', 20)], &[(false, vec![&name])]);
        assert_eq!(language_driver(&bytes), 0x4D);
        let dbf = Dbf::read(&bytes, encoding_rs::GB18030).expect("reads");
        assert_eq!(
            dbf.row(0).expect("row"),
            vec![Some(Cell::Text("东街社区".into()))]
        );
        // The same bytes read as UTF-8 are refused with a hint, not turned into mojibake.
        let dbf = Dbf::read(&bytes, encoding_rs::UTF_8).expect("reads");
        let (field, reason) = dbf.row(0).expect_err("not UTF-8");
        assert_eq!(field, "name");
        assert!(reason.contains(".cpg"), "{reason}");
    }

    #[test]
    fn unsupported_fields_and_truncated_files_are_refused() {
        let memo = table(0, &[(b"note", b'M', 10)], &[]);
        let e = Dbf::read(&memo, encoding_rs::UTF_8).expect_err("memo");
        assert!(e.to_string().contains("`note` has type `M`"), "{e}");
        let mut short = table(0, &[(b"name", b'C', 4)], &[(false, vec![b"abcd"])]);
        short.truncate(short.len() - 3);
        let e = Dbf::read(&short, encoding_rs::UTF_8).expect_err("truncated");
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}
