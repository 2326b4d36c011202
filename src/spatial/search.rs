//! Text search over the snapshot for the map's search box: grids and regions by code or name,
//! cameras by device code or name, key areas and patrol routes by name or id, streets by name
//! (人民路), buildings by address. A linear scan (about 130,000 names in the sample take a few milliseconds), ranked:
//! exact key, then key prefix, then name prefix, then name substring; ties by layer order and key.
//! Each hit carries a box to zoom to and an anchor inside the item, where the map pins it and
//! asks what is there.

use geo::{Coord, InteriorPoint, Rect};
use serde::Serialize;

use crate::domain::{Item, Layer};

use super::Snapshot;
use super::geom::label_point;
use super::index::{KeyOf, LayerIndex, Spatial};

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// Layer path (`grids`, `regions`, `cameras`, `key-areas`, `patrol-routes`, `roads`,
    /// `buildings`).
    pub layer: &'static str,
    /// The item's key (code or id).
    pub key: String,
    /// The item's name, or a building's address.
    pub name: String,
    /// `[west, south, east, north]` of the item, to zoom to.
    pub bbox: [f64; 4],
    /// `[lon, lat]` of a point of the item (inside an area, on a line): where the map pins it.
    pub anchor: [f64; 2],
    #[serde(skip)]
    rank: (u8, u8),
    #[serde(skip)]
    of: Layer,
}

/// How well `key`/`name` match `q` (lower is better), or `None`.
fn rank(q: &str, key: &str, name: &str) -> Option<u8> {
    if key.eq_ignore_ascii_case(q) {
        Some(0)
    } else if key.starts_with(q) {
        Some(1)
    } else if name == q {
        Some(2)
    } else if name.starts_with(q) {
        Some(3)
    } else if name.contains(q) || key.contains(q) {
        Some(4)
    } else {
        None
    }
}

fn scan<T: Item + Spatial + KeyOf>(
    hits: &mut Vec<SearchHit>,
    layer_order: u8,
    index: &LayerIndex<T>,
    q: &str,
    name_of: impl Fn(&T) -> &str,
) {
    for item in index.iter() {
        let name = name_of(item);
        let Some(r) = rank(q, &item.key_of(), name) else {
            continue;
        };
        let Some(rect) = item.envelope() else {
            continue;
        };
        hits.push(SearchHit {
            layer: T::LAYER.path(),
            key: item.key_of().into_owned(),
            name: name.to_owned(),
            bbox: bbox(rect),
            anchor: [rect.center().x, rect.center().y],
            rank: (r, layer_order),
            of: T::LAYER,
        });
    }
}

fn bbox(r: Rect) -> [f64; 4] {
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

/// Items whose key or name matches `q` (trimmed; empty finds nothing), best first, at most
/// `limit`.
#[must_use]
pub fn search(snapshot: &Snapshot, q: &str, limit: usize) -> Vec<SearchHit> {
    let q = q.trim();
    if q.is_empty() || limit == 0 {
        return Vec::new();
    }
    let mut hits = Vec::new();
    scan(&mut hits, 0, &snapshot.grids, q, |g| &g.name);
    scan(&mut hits, 1, &snapshot.regions, q, |r| &r.name);
    scan(&mut hits, 2, &snapshot.cameras, q, |c| &c.name);
    scan(&mut hits, 3, &snapshot.key_areas, q, |k| &k.name);
    scan(&mut hits, 4, &snapshot.patrol_routes, q, |p| &p.name);
    scan(&mut hits, 5, &snapshot.roads, q, |r| &r.name);
    scan(&mut hits, 6, &snapshot.buildings, q, |b| &b.address);
    hits.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.key.cmp(&b.key)));
    hits.truncate(limit);
    // Only the hits shown get their anchor (an interior point costs a pass over the shape).
    for hit in &mut hits {
        if let Some(c) = anchor(snapshot, hit.of, &hit.key) {
            hit.anchor = [c.x, c.y];
        }
    }
    hits
}

/// A point of the item `key` of `layer` to pin: inside an area, on a line, the point itself.
fn anchor(snapshot: &Snapshot, layer: Layer, key: &str) -> Option<Coord> {
    match layer {
        Layer::Region => label_point(&snapshot.regions.get(key)?.area),
        Layer::Grid => label_point(&snapshot.grids.get(key)?.area),
        Layer::KeyArea => label_point(&snapshot.key_areas.get(key)?.area),
        Layer::PatrolRoute => snapshot
            .patrol_routes
            .get(key)?
            .line
            .interior_point()
            .map(|p| p.0),
        Layer::Road => snapshot.roads.get(key)?.line.interior_point().map(|p| p.0),
        Layer::Camera => Some(snapshot.cameras.get(key)?.location.0),
        Layer::Building => Some(snapshot.buildings.get(key)?.location.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn ranks_exact_key_before_prefix_before_name() {
        assert_eq!(rank("330783", "330783", "东阳市"), Some(0));
        assert_eq!(rank("3307831", "330783101", "吴宁街道"), Some(1));
        assert_eq!(rank("吴宁街道", "330783101", "吴宁街道"), Some(2));
        assert_eq!(rank("吴宁", "330783101", "吴宁街道"), Some(3));
        assert_eq!(rank("街道", "330783101", "吴宁街道"), Some(4));
        assert_eq!(rank("783101", "330783101", "吴宁街道"), Some(4));
        assert_eq!(rank("横店", "330783101", "吴宁街道"), None);
    }
}
