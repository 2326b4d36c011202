//! The sample's street network, drawn where the sample's streets already are: grid boundaries
//! stand in for streets (real grid lines follow roads, and the sample's cameras are strung
//! along them), so every boundary edge with a grid on both sides is a piece of road.
//!
//! Pieces are joined into whole streets the way road maps are read ("strokes"): at each
//! junction the two pieces that continue each other most straightly (a bend under 40°) are one
//! street. A street town's longest streets are its main roads (primary, then secondary) and
//! take real Dongyang street names, 人民路 first in the city centre (吴宁街道); a street along
//! a village boundary is a district road (tertiary) named after its village; the rest are
//! lanes (巷) in the built-up communities and village roads in the country, the short ones of
//! which stay unnamed, as many do in OpenStreetMap.

use std::collections::{BTreeMap, BTreeSet};

use geo::{Coord, LineString};

use super::City;
use super::Setting;
use super::geom::{bearing_deg, destination, distance_m};
use crate::domain::{Oneway, Road, RoadClass};

/// Street names of Dongyang, handed to the street towns' main roads in code order.
const MAIN_NAMES: [&str; 40] = [
    "人民路",
    "吴宁路",
    "中山路",
    "兴平路",
    "艺海路",
    "振兴路",
    "江滨路",
    "环城路",
    "望江路",
    "广福路",
    "新华路",
    "建设路",
    "和平路",
    "文化路",
    "长松路",
    "双岘路",
    "官桥路",
    "西街路",
    "东岘路",
    "白云路",
    "歌山路",
    "横店大道",
    "八华路",
    "甘溪路",
    "迎宾大道",
    "世贸大道",
    "东永路",
    "南马路",
    "画水路",
    "湖溪路",
    "千祥路",
    "巍山路",
    "虎鹿路",
    "佐村路",
    "三单路",
    "马宅路",
    "城东路",
    "怀鲁路",
    "六石路",
    "江北路",
];
/// Main roads per street town: the first two primary, the rest secondary.
const MAIN_PER_TOWN: usize = 5;
/// Shortest street that is a main road, metres.
const MAIN_MIN_M: f64 = 1_200.0;
/// Country roads shorter than this stay unnamed, metres.
const NAMED_MIN_M: f64 = 400.0;
/// Longest street, metres: a longer line of pieces is several streets.
const MAX_STREET_M: f64 = 5_000.0;
/// Largest bend, degrees, at which two pieces continue one street.
const MAX_BEND_DEG: f64 = 40.0;

/// A boundary edge with a grid on each side.
struct Piece {
    a: Coord,
    b: Coord,
    left: usize,
    right: usize,
}

/// A node key: the position rounded to 1e-7° (about a centimetre), so that the same vertex of
/// two neighbouring grids is one node.
type Node = (i64, i64);

#[expect(clippy::cast_possible_truncation, reason = "degrees × 1e7 fit an i64")]
fn node(c: Coord) -> Node {
    ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)
}

/// Every boundary edge between two top-level grids, once.
fn pieces(city: &City) -> Vec<Piece> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for &g in &city.top {
        for polygon in &city.grids[g].area.0 {
            for w in polygon.exterior().0.windows(2) {
                let (a, b) = (w[0], w[1]);
                let length = distance_m(a, b);
                if length < 1.0 {
                    continue;
                }
                let key = if node(a) <= node(b) {
                    (node(a), node(b))
                } else {
                    (node(b), node(a))
                };
                if !seen.insert(key) {
                    continue;
                }
                let mid = Coord {
                    x: f64::midpoint(a.x, b.x),
                    y: f64::midpoint(a.y, b.y),
                };
                let heading = bearing_deg(a, b);
                let left = city.grid_at(destination(mid, heading - 90.0, 3.0));
                let right = city.grid_at(destination(mid, heading + 90.0, 3.0));
                if let (Some(left), Some(right)) = (left, right)
                    && left != right
                {
                    out.push(Piece { a, b, left, right });
                }
            }
        }
    }
    out
}

/// The pieces joined into streets: each street is a list of piece indices in order, with the
/// direction each is walked in (`true`: from `a` to `b`). Only pieces of one `town` join, and
/// a street ends once it is [`MAX_STREET_M`] long.
fn strokes(pieces: &[Piece], town: impl Fn(&Piece) -> usize) -> Vec<Vec<(usize, bool)>> {
    let mut at: BTreeMap<Node, Vec<usize>> = BTreeMap::new();
    for (i, p) in pieces.iter().enumerate() {
        at.entry(node(p.a)).or_default().push(i);
        at.entry(node(p.b)).or_default().push(i);
    }
    // At each node, pair the pieces that continue each other most straightly.
    let mut next: BTreeMap<(Node, usize), usize> = BTreeMap::new();
    for (&n, incident) in &at {
        let away = |i: usize| {
            let p = &pieces[i];
            if node(p.a) == n {
                bearing_deg(p.a, p.b)
            } else {
                bearing_deg(p.b, p.a)
            }
        };
        let mut pairs = Vec::new();
        for (x, &i) in incident.iter().enumerate() {
            for &j in &incident[x + 1..] {
                if town(&pieces[i]) != town(&pieces[j]) {
                    continue;
                }
                let turn = (away(i) - away(j)).rem_euclid(360.0);
                let bend = (180.0 - turn).abs();
                if bend < MAX_BEND_DEG {
                    pairs.push((bend, i, j));
                }
            }
        }
        pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
        for (_, i, j) in pairs {
            if !next.contains_key(&(n, i)) && !next.contains_key(&(n, j)) {
                next.insert((n, i), j);
                next.insert((n, j), i);
            }
        }
    }
    let mut used = vec![false; pieces.len()];
    let mut out = Vec::new();
    for start in 0..pieces.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        // Forward from `b`, then backward from `a`.
        let mut street = vec![(start, true)];
        let walk = |from: Node, piece: usize, used: &mut Vec<bool>, length: &mut f64| {
            let mut out = Vec::new();
            let (mut n, mut p) = (from, piece);
            while let Some(&q) = next.get(&(n, p)) {
                if used[q] || *length >= MAX_STREET_M {
                    break;
                }
                *length += distance_m(pieces[q].a, pieces[q].b);
                used[q] = true;
                let forward = node(pieces[q].a) == n;
                n = if forward {
                    node(pieces[q].b)
                } else {
                    node(pieces[q].a)
                };
                out.push((q, forward));
                p = q;
            }
            out
        };
        let mut length = distance_m(pieces[start].a, pieces[start].b);
        street.extend(walk(node(pieces[start].b), start, &mut used, &mut length));
        let before = walk(node(pieces[start].a), start, &mut used, &mut length);
        let mut whole: Vec<(usize, bool)> =
            before.into_iter().rev().map(|(q, f)| (q, !f)).collect();
        whole.extend(street);
        out.push(whole);
    }
    out
}

/// `n` (1-based) in Chinese numerals, up to 99.
fn ordinal(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

/// A village's name without 社区/村 for its streets: `东街社区` → `东街`.
fn stem(short: &str) -> &str {
    short
        .strip_suffix("社区")
        .or_else(|| short.strip_suffix('村'))
        .filter(|s| !s.is_empty())
        .unwrap_or(short)
}

/// What a street is made of, for naming it.
struct Street {
    line: Vec<Coord>,
    length_m: f64,
    town: usize,
    village: usize,
    /// Whether most of it runs along a village boundary.
    between_villages: bool,
}

/// The sample's roads.
pub(super) fn roads(city: &City) -> Vec<Road> {
    let pieces = pieces(city);
    // A piece on a town boundary belongs to the town of the lower code (streets end where
    // they leave it), and to that side's village.
    let town = |g: usize| city.villages[city.meta[g].village].town;
    let code = |t: usize| city.towns[t].code.as_str();
    let town_of = |p: &Piece| {
        let (l, r) = (town(p.left), town(p.right));
        if code(l) <= code(r) { l } else { r }
    };
    let own_village = |p: &Piece| {
        let side = if code(town(p.left)) <= code(town(p.right)) {
            p.left
        } else {
            p.right
        };
        city.meta[side].village
    };
    let mut streets: Vec<Street> = strokes(&pieces, town_of)
        .into_iter()
        .map(|stroke| {
            let mut line = Vec::with_capacity(stroke.len() + 1);
            let mut along = BTreeMap::<usize, f64>::new();
            let mut between = 0.0;
            let mut length_m = 0.0;
            for (i, forward) in &stroke {
                let p = &pieces[*i];
                let (a, b) = if *forward { (p.a, p.b) } else { (p.b, p.a) };
                if line.is_empty() {
                    line.push(a);
                }
                line.push(b);
                let d = distance_m(a, b);
                length_m += d;
                let (lv, rv) = (city.meta[p.left].village, city.meta[p.right].village);
                *along.entry(own_village(p)).or_default() += d;
                if lv != rv {
                    between += d;
                }
            }
            let village = along
                .iter()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map_or(0, |(&v, _)| v);
            Street {
                line,
                length_m,
                town: city.villages[village].town,
                village,
                between_villages: between * 2.0 > length_m,
            }
        })
        .collect();
    // Towns in code order (吴宁街道, the city centre, first), longest streets first within
    // each, so that names and classes go by length.
    streets.sort_by(|x, y| {
        code(x.town)
            .cmp(code(y.town))
            .then(y.length_m.total_cmp(&x.length_m))
    });

    let mut main_names = MAIN_NAMES.iter();
    let mut mains_in_town = vec![0usize; city.towns.len()];
    let mut per_village = vec![(0usize, 0usize); city.villages.len()];
    let mut out = Vec::with_capacity(streets.len());
    for street in streets {
        let town = &city.towns[street.town];
        let village = &city.villages[street.village];
        let stem = stem(&village.short);
        let (class, name) = if town.street
            && mains_in_town[street.town] < MAIN_PER_TOWN
            && street.length_m >= MAIN_MIN_M
            && let Some(name) = main_names.next()
        {
            mains_in_town[street.town] += 1;
            let class = if mains_in_town[street.town] <= 2 {
                RoadClass::Primary
            } else {
                RoadClass::Secondary
            };
            (class, (*name).to_owned())
        } else if street.between_villages {
            let roads = &mut per_village[street.village].0;
            *roads += 1;
            let name = if *roads == 1 {
                format!("{stem}路")
            } else {
                format!("{stem}{}路", ordinal(*roads))
            };
            (RoadClass::Tertiary, name)
        } else {
            let urban = matches!(
                village.setting,
                Setting::StreetCommunity | Setting::TownCommunity
            );
            if urban || street.length_m >= NAMED_MIN_M {
                let lanes = &mut per_village[street.village].1;
                *lanes += 1;
                let kind = if urban { "巷" } else { "弄" };
                (
                    RoadClass::Residential,
                    format!("{stem}{}{kind}", ordinal(*lanes)),
                )
            } else {
                (RoadClass::Residential, String::new())
            }
        };
        out.push(Road {
            id: format!("RD{:05}", out.len() + 1),
            name,
            class,
            oneway: Oneway::No,
            line: LineString::from(street.line),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_read_as_chinese_numbers() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 23, 99]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(got, ["一", "九", "十", "十一", "二十", "二十三", "九十九"]);
        assert_eq!(stem("东街社区"), "东街");
        assert_eq!(stem("横店村"), "横店");
        assert_eq!(stem("村"), "村");
    }
}
