//! The Mapbox Vector Tile 2.1 encoder: geometry commands (`GeomWriter`), one layer's features
//! with their deduplicated keys and values (`LayerWriter`, [`Value`]), the protobuf wire format
//! under them (varints, zigzag, length-delimited fields) and [`feature_id`].
//!
//! Knows nothing of lon/lat, clipping or layers: it writes integer tile coordinates and the
//! properties it is given. Imports [`super::id`] for the layer's extent only.
//!
//! # Feature ids
//! [`feature_id`]: FNV-1a (64-bit) of the item's key, masked to 53 bits. Stable across
//! snapshots and restarts (a position in the `LayerIndex` would shift when an item is inserted
//! before it), and exact as a JavaScript number, which is how MapLibre keys feature state.
//! Two keys of one layer share an id with odds of about n²/2⁵⁴ (5·10⁻⁷ for 100,000 events).
//! Point features below [`DETAIL_ZOOM`](super::DETAIL_ZOOM) carry no id (the layers decide):
//! nine bytes of a ~30-byte feature, and the read of one key string per point, on the tiles
//! that hold tens of thousands of them.
//!
//! # Why a hand-written encoder
//! An MVT is three nested protobuf messages and a fourth for values, about a dozen fields, all
//! varints, length-delimited bytes and one fixed64. `prost` would bring a code generator and a
//! build step, the `mvt` crate the `protobuf` runtime; this encoder is about 150 lines,
//! allocates once per layer and is tested byte for byte against the spec's examples.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::id::EXTENT;

// ---------------------------------------------------------------------------------------------
// Geometry commands

/// MVT geometry types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// A command integer: id in the low 3 bits, count above.
fn command(id: u32, count: usize) -> u32 {
    let count = u32::try_from(count).unwrap_or(u32::MAX >> 3);
    (id & 0x7) | (count << 3)
}

/// Zigzag encoding of a parameter: 0, -1, 1, -2 … → 0, 1, 2, 3 …
fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)).cast_unsigned()
}

/// Geometry commands of one feature; the cursor runs on across parts and rings.
#[derive(Debug, Default)]
pub(super) struct GeomWriter {
    cmds: Vec<u32>,
    cursor: [i32; 2],
}

impl GeomWriter {
    pub(super) fn clear(&mut self) {
        self.cmds.clear();
        self.cursor = [0, 0];
    }

    /// The commands written since the last [`GeomWriter::clear`].
    pub(super) fn commands(&self) -> &[u32] {
        &self.cmds
    }

    fn params(&mut self, points: &[[i32; 2]]) {
        for &p in points {
            self.cmds.push(zigzag(p[0] - self.cursor[0]));
            self.cmds.push(zigzag(p[1] - self.cursor[1]));
            self.cursor = p;
        }
    }

    /// One `MoveTo` with every point (a point or a multipoint).
    pub(super) fn points(&mut self, points: &[[i32; 2]]) {
        self.cmds.push(command(MOVE_TO, points.len()));
        self.params(points);
    }

    /// A line part of at least two vertices.
    pub(super) fn line(&mut self, line: &[[i32; 2]]) {
        self.points(&line[..1]);
        self.cmds.push(command(LINE_TO, line.len() - 1));
        self.params(&line[1..]);
    }

    /// An open ring of at least three vertices.
    pub(super) fn ring(&mut self, ring: &[[i32; 2]]) {
        self.line(ring);
        self.cmds.push(command(CLOSE_PATH, 1));
    }
}

// ---------------------------------------------------------------------------------------------
// Protobuf

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        #[expect(clippy::cast_possible_truncation, reason = "the low 7 bits")]
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    #[expect(clippy::cast_possible_truncation, reason = "below 0x80")]
    buf.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).max(1).div_ceil(7)
}

fn put_key(buf: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(buf, u64::from((field << 3) | wire));
}

fn put_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(buf, field, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Bytes of the payload of a packed repeated `uint32` field.
fn packed_len(values: &[u32]) -> usize {
    values.iter().map(|v| varint_len(u64::from(*v))).sum()
}

/// A packed repeated field whose payload is `len` bytes (from [`packed_len`]).
fn put_packed(buf: &mut Vec<u8>, field: u32, values: &[u32], len: usize) {
    put_key(buf, field, LEN);
    put_varint(buf, len as u64);
    for v in values {
        put_varint(buf, u64::from(*v));
    }
}

/// A property value. Dates and times are written as strings; they are kept typed here so that
/// they are formatted once per distinct value, not once per feature.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Str(&'a str),
    /// Written `YYYY-MM-DD`.
    Date(NaiveDate),
    /// Written as RFC 3339 UTC, as serde writes it in the GeoJSON.
    Time(DateTime<Utc>),
    Uint(u64),
    Double(f64),
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Uint(a), Value::Uint(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}
impl Eq for Value<'_> {}

impl Hash for Value<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Str(s) => s.hash(state),
            Value::Date(d) => d.hash(state),
            Value::Time(t) => t.hash(state),
            Value::Uint(u) => u.hash(state),
            Value::Double(d) => d.to_bits().hash(state),
        }
    }
}

impl Value<'_> {
    /// The `Value` message.
    fn encode(&self, buf: &mut Vec<u8>) {
        match self {
            Value::Str(s) => put_bytes(buf, 1, s.as_bytes()),
            Value::Date(d) => put_bytes(buf, 1, d.format("%Y-%m-%d").to_string().as_bytes()),
            Value::Time(t) => put_bytes(
                buf,
                1,
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes(),
            ),
            Value::Double(d) => {
                put_key(buf, 3, FIXED64);
                buf.extend_from_slice(&d.to_le_bytes());
            }
            Value::Uint(u) => {
                put_key(buf, 5, VARINT);
                put_varint(buf, *u);
            }
        }
    }
}

/// One layer being encoded: its features, and its keys and values tables.
pub(super) struct LayerWriter<'a> {
    name: &'a str,
    keys: Vec<&'static str>,
    value_ids: HashMap<Value<'a>, u32, WordHash>,
    /// The encoded `values` fields, in id order.
    values: Vec<u8>,
    /// The encoded `features` fields.
    features: Vec<u8>,
    feature_count: usize,
    tags: Vec<u32>,
    value_buf: Vec<u8>,
}

impl<'a> LayerWriter<'a> {
    pub(super) fn new(name: &'a str) -> Self {
        Self {
            name,
            keys: Vec::new(),
            value_ids: HashMap::default(),
            values: Vec::new(),
            features: Vec::new(),
            feature_count: 0,
            tags: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    /// Makes room for `bytes` more bytes of features.
    pub(super) fn reserve(&mut self, bytes: usize) {
        self.features.reserve(bytes);
    }

    fn key_id(&mut self, key: &'static str) -> u32 {
        // Keys are the same few literals over and over: compare addresses before bytes.
        let found = self
            .keys
            .iter()
            .position(|k| std::ptr::eq(*k, key) || *k == key);
        let i = found.unwrap_or_else(|| {
            self.keys.push(key);
            self.keys.len() - 1
        });
        u32::try_from(i).unwrap_or(u32::MAX)
    }

    fn value_id(&mut self, value: Value<'a>) -> u32 {
        let next = u32::try_from(self.value_ids.len()).unwrap_or(u32::MAX);
        *self.value_ids.entry(value).or_insert_with(|| {
            self.value_buf.clear();
            value.encode(&mut self.value_buf);
            put_bytes(&mut self.values, 4, &self.value_buf);
            next
        })
    }

    /// Appends a feature with the geometry in `geom` (which must not be empty).
    pub(super) fn feature(
        &mut self,
        id: Option<u64>,
        kind: GeomType,
        geom: &[u32],
        props: &[(&'static str, Value<'a>)],
    ) {
        self.tags.clear();
        for (k, v) in props {
            let k = self.key_id(k);
            let v = self.value_id(*v);
            self.tags.extend([k, v]);
        }
        // The length goes first: add up the fields, then write them straight into `features`.
        let tags_len = packed_len(&self.tags);
        let geom_len = packed_len(geom);
        let field = |payload: usize| 1 + varint_len(payload as u64) + payload;
        let len = id.map_or(0, |id| 1 + varint_len(id))
            + if self.tags.is_empty() { 0 } else { field(tags_len) }
            + 2 // type
            + field(geom_len);
        let out = &mut self.features;
        put_key(out, 2, LEN);
        put_varint(out, len as u64);
        let start = out.len();
        if let Some(id) = id {
            put_key(out, 1, VARINT);
            put_varint(out, id);
        }
        if !self.tags.is_empty() {
            put_packed(out, 2, &self.tags, tags_len);
        }
        put_key(out, 3, VARINT);
        put_varint(out, kind as u64);
        put_packed(out, 4, geom, geom_len);
        debug_assert_eq!(out.len() - start, len, "feature length");
        self.feature_count += 1;
    }

    /// The whole tile (one layer), or an empty vector when no feature was added.
    pub(super) fn finish(self) -> Vec<u8> {
        if self.feature_count == 0 {
            return Vec::new();
        }
        let mut name = Vec::with_capacity(self.name.len() + 2);
        put_bytes(&mut name, 1, self.name.as_bytes());
        let mut keys = Vec::with_capacity(256);
        for k in &self.keys {
            put_bytes(&mut keys, 3, k.as_bytes());
        }
        let mut trailer = Vec::with_capacity(8);
        put_key(&mut trailer, 5, VARINT);
        put_varint(&mut trailer, u64::from(EXTENT));
        put_key(&mut trailer, 15, VARINT);
        put_varint(&mut trailer, 2);
        // Fields in number order (name, features, keys, values, extent) and the version last;
        // protobuf leaves the order free.
        let parts = [&name, &self.features, &keys, &self.values, &trailer];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut out = Vec::with_capacity(len + 8);
        put_key(&mut out, 3, LEN);
        put_varint(&mut out, len as u64);
        for p in parts {
            out.extend_from_slice(p);
        }
        out
    }
}

/// The values table's hasher, a word at a time in the manner of rustc's FxHash: the keys are
/// short strings and numbers looked up once per property of every feature, and the table lives
/// for one tile, so SipHash's flood resistance buys nothing here.
#[derive(Debug, Default, Clone, Copy)]
struct WordHash;

#[derive(Debug)]
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::BuildHasher for WordHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(0)
    }
}

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, v: u8) {
        self.add(u64::from(v));
    }
    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }
    fn write_isize(&mut self, v: isize) {
        self.add(v.cast_unsigned() as u64);
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// The feature id of an item: FNV-1a (64-bit) of its key, masked to 53 bits (see the
/// [module doc](self)).
///
/// ```
/// use safegrid::tiles::feature_id;
/// assert_eq!(feature_id("a"), 0xaf63dc4c8601ec8c & ((1 << 53) - 1));
/// ```
#[must_use]
pub fn feature_id(key: &str) -> u64 {
    let h = key.bytes().fold(FNV_OFFSET, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    });
    h & ((1 << 53) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_the_protobuf_definition() {
        let pairs = [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (i32::MAX, u32::MAX - 1),
            (i32::MIN, u32::MAX),
        ];
        for (n, z) in pairs {
            assert_eq!(zigzag(n), z, "{n}");
        }
    }

    #[test]
    fn varints_by_hand() {
        for (v, bytes) in [
            (0u64, vec![0x00]),
            (1, vec![0x01]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (300, vec![0xac, 0x02]),
            (4096, vec![0x80, 0x20]),
        ] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(buf, bytes, "{v}");
            assert_eq!(varint_len(v), bytes.len(), "{v}");
        }
        assert_eq!(varint_len(u64::MAX), 10);
    }

    // The four geometry examples of MVT 2.1 §4.3.5.
    #[test]
    fn commands_match_the_spec_examples() {
        let mut g = GeomWriter::default();
        g.points(&[[25, 17]]);
        assert_eq!(g.cmds, [9, 50, 34]);
        g.clear();
        g.points(&[[5, 7], [3, 2]]);
        assert_eq!(g.cmds, [17, 10, 14, 3, 9]);
        g.clear();
        g.line(&[[2, 2], [2, 10], [10, 10]]);
        assert_eq!(g.cmds, [9, 4, 4, 18, 0, 16, 16, 0]);
        g.clear();
        g.ring(&[[3, 6], [8, 12], [20, 34]]);
        assert_eq!(g.cmds, [9, 6, 12, 18, 10, 12, 24, 44, 15]);
        // Multi-linestring: the cursor carries over from the first part.
        g.clear();
        g.line(&[[2, 2], [2, 10], [10, 10]]);
        g.line(&[[1, 1], [3, 5]]);
        assert_eq!(g.cmds, [9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8]);
    }

    #[test]
    fn one_point_layer_encodes_to_the_hand_computed_bytes() {
        let mut layer = LayerWriter::new("t");
        let mut g = GeomWriter::default();
        g.points(&[[25, 17]]);
        layer.feature(Some(1), GeomType::Point, &g.cmds, &[("k", Value::Str("v"))]);
        let feature = [
            0x08, 0x01, // id = 1
            0x12, 0x02, 0x00, 0x00, // tags = [0, 0]
            0x18, 0x01, // type = POINT
            0x22, 0x03, 0x09, 0x32, 0x22, // geometry = [9, 50, 34]
        ];
        let mut layer_bytes = vec![0x0a, 0x01, b't', 0x12, 13];
        layer_bytes.extend(feature);
        layer_bytes.extend([0x1a, 0x01, b'k']); // keys = ["k"]
        layer_bytes.extend([0x22, 0x03, 0x0a, 0x01, b'v']); // values = [{string_value: "v"}]
        layer_bytes.extend([0x28, 0x80, 0x20]); // extent = 4096
        layer_bytes.extend([0x78, 0x02]); // version = 2
        let mut want = vec![0x1a, u8::try_from(layer_bytes.len()).expect("short")];
        want.extend(layer_bytes);
        assert_eq!(layer.finish(), want);
    }

    #[test]
    fn values_are_deduplicated_and_typed() {
        let mut layer = LayerWriter::new("t");
        let g = [9, 0, 0];
        let date = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        for _ in 0..3 {
            layer.feature(
                None,
                GeomType::Point,
                &g,
                &[
                    ("a", Value::Str("x")),
                    ("b", Value::Uint(300)),
                    ("c", Value::Double(1.5)),
                    ("d", Value::Date(date)),
                ],
            );
        }
        assert_eq!(layer.value_ids.len(), 4);
        // Without an id a feature starts with its tags: 17 bytes, then field 2 again.
        assert_eq!(&layer.features[..3], [0x12, 17, 0x12]);
        let mut want = Vec::new();
        for v in [
            vec![0x0a, 0x01, b'x'],
            vec![0x28, 0xac, 0x02],
            [vec![0x19], 1.5f64.to_le_bytes().to_vec()].concat(),
            [vec![0x0a, 0x0a], b"2026-06-30".to_vec()].concat(),
        ] {
            want.push(0x22);
            want.push(u8::try_from(v.len()).expect("short"));
            want.extend(v);
        }
        assert_eq!(layer.values, want);
        assert_eq!(layer.keys, ["a", "b", "c", "d"]);
    }

    #[test]
    fn empty_layer_is_an_empty_tile() {
        assert!(LayerWriter::new("t").finish().is_empty());
    }

    #[test]
    fn times_and_dates_are_written_as_serde_writes_them() {
        let t: DateTime<Utc> = "2026-05-01T08:09:10Z".parse().expect("time");
        let t2: DateTime<Utc> = "2026-05-01T08:09:10.250Z".parse().expect("time");
        for t in [t, t2] {
            let mut buf = Vec::new();
            Value::Time(t).encode(&mut buf);
            let serde = serde_json::to_value(t).expect("serializes");
            assert_eq!(&buf[2..], serde.as_str().expect("a string").as_bytes());
        }
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).expect("date");
        let mut buf = Vec::new();
        Value::Date(d).encode(&mut buf);
        assert_eq!(
            &buf[2..],
            serde_json::to_value(d)
                .expect("serializes")
                .as_str()
                .expect("a string")
                .as_bytes()
        );
    }

    #[test]
    fn feature_ids_are_53_bit_fnv() {
        // FNV-1a 64 of "" is the offset basis.
        assert_eq!(feature_id(""), FNV_OFFSET & ((1 << 53) - 1));
        assert!(feature_id("330783001014001") < (1 << 53));
        assert_ne!(feature_id("330783001014001"), feature_id("330783001014002"));
    }
}
