//! A province-sized synthetic data set (`safegrid seed --scale province`): the Dongyang
//! generator run once per synthetic county, each run with its own seeds (so that its villages,
//! grids, buildings, cameras and hotspots differ from every other's) and with more cameras and
//! events, then moved to its own place on a lattice around Dongyang and given its own codes and
//! ids. Everything in it is synthetic, and says so: the counties are `合成县01`… under the codes
//! `990101`… (no province has code 99), the real town and village names sit on invented
//! geometry far from where those places are, and ids carry the county (`C07-E0000001`).
//!
//! At [`ProvinceScale::PROVINCE`] it holds 25 counties: about 48,700 grids, 1,000,000 cameras,
//! 10,000,000 events, 95,000 workers and 2.7 million buildings. A county is generated at a
//! time ([`county`]), so that a seed writes one and forgets it before the next.
//!
//! # Units
//! WGS84 lon/lat degrees; each county is the Dongyang sample shifted by a whole number of
//! lattice steps ([`LATTICE_DEG`]).

use geo::Translate;

use crate::domain::Dataset;

use super::{COUNTY_CODE, SampleResult, Variant, generate_variant};

/// How big a synthetic province is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvinceScale {
    /// Synthetic counties, at most 99 (a lattice of up to 10 × 10).
    pub counties: usize,
    /// Cameras drawn in each county.
    pub cameras_per_county: usize,
    /// Events drawn in each county.
    pub events_per_county: usize,
}

impl ProvinceScale {
    /// The province of the write-path targets: 25 counties, 1,000,000 cameras and 10,000,000
    /// events.
    pub const PROVINCE: ProvinceScale = ProvinceScale {
        counties: 25,
        cameras_per_county: 40_000,
        events_per_county: 400_000,
    };

    /// Counties per lattice row: the smallest square that holds them.
    fn columns(&self) -> usize {
        (1..=10).find(|c| c * c >= self.counties).unwrap_or(10)
    }
}

/// The lattice step between two counties, east and north: the Dongyang boundary spans
/// 0.66° × 0.53°, so neighbours keep a few kilometres apart.
pub const LATTICE_DEG: (f64, f64) = (0.7, 0.56);

/// The 6-digit code of synthetic county `i` (0-based): `990101`, `990102`, …
#[must_use]
pub fn county_code(i: usize) -> String {
    format!("9901{:02}", i + 1)
}

/// County `i` (0-based) of the province `scale` describes, generated, moved and renamed.
///
/// # Errors
/// A [`super::SampleError`] if the generator fails (it does not with the embedded data).
pub fn county(scale: &ProvinceScale, i: usize) -> SampleResult<Dataset> {
    let variant = Variant {
        salt: 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(i as u64 + 1),
        cameras: scale.cameras_per_county,
        events: scale.events_per_county,
    };
    let data = generate_variant(&variant)?;
    let columns = scale.columns();
    let (col, row) = (i % columns, i / columns);
    let centre = (columns as f64 - 1.0) / 2.0;
    let shift = (
        (col as f64 - centre) * LATTICE_DEG.0,
        (row as f64 - centre) * LATTICE_DEG.1,
    );
    Ok(relocate(data, i, shift))
}

/// `data` moved by `shift` (degrees east, north), with the county's codes and every id made
/// those of synthetic county `i`.
fn relocate(mut data: Dataset, i: usize, (dx, dy): (f64, f64)) -> Dataset {
    let code = county_code(i);
    let recode = |c: &mut String| {
        if let Some(rest) = c.strip_prefix(COUNTY_CODE) {
            *c = format!("{code}{rest}");
        }
    };
    let prefix = format!("C{:02}-", i + 1);
    let reid = |id: &mut String| id.insert_str(0, &prefix);
    for r in &mut data.regions {
        recode(&mut r.code);
        if let Some(p) = r.parent_code.as_mut() {
            recode(p);
        }
        if r.parent_code.is_none() {
            r.name = format!("合成县{:02}（东阳样本）", i + 1);
        }
        r.area.translate_mut(dx, dy);
    }
    for g in data
        .grids
        .iter_mut()
        .chain(data.grid_versions.iter_mut().map(|v| &mut v.grid))
    {
        recode(&mut g.code);
        if let Some(p) = g.parent_code.as_mut() {
            recode(p);
        }
        g.area.translate_mut(dx, dy);
    }
    for w in &mut data.workers {
        reid(&mut w.id);
        for a in &mut w.grids {
            recode(&mut a.grid);
        }
    }
    for c in &mut data.cameras {
        recode(&mut c.code);
        c.location.translate_mut(dx, dy);
    }
    for r in &mut data.patrol_routes {
        reid(&mut r.id);
        r.line.translate_mut(dx, dy);
    }
    for k in &mut data.key_areas {
        reid(&mut k.id);
        k.area.translate_mut(dx, dy);
    }
    for e in &mut data.events {
        reid(&mut e.id);
        if let Some(g) = e.grid_code.as_mut() {
            recode(g);
        }
        e.location.translate_mut(dx, dy);
    }
    for b in &mut data.buildings {
        reid(&mut b.id);
        b.location.translate_mut(dx, dy);
    }
    for r in &mut data.roads {
        reid(&mut r.id);
        r.line.translate_mut(dx, dy);
    }
    for o in &mut data.obstacles {
        reid(&mut o.id);
        match &mut o.shape {
            crate::domain::ObstacleShape::Area(a) => a.translate_mut(dx, dy),
            crate::domain::ObstacleShape::Wall(l) => l.translate_mut(dx, dy),
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Item;
    use geo::BoundingRect;

    #[test]
    fn counties_differ_keep_their_own_codes_and_ids_and_do_not_overlap() {
        let scale = ProvinceScale {
            counties: 4,
            cameras_per_county: 2_000,
            events_per_county: 3_000,
        };
        let a = county(&scale, 0).expect("county 1");
        let b = county(&scale, 3).expect("county 4");
        for (data, code) in [(&a, "990101"), (&b, "990104")] {
            assert_eq!(data.cameras.len(), 2_000);
            assert_eq!(data.events.len(), 3_000);
            assert!(data.regions.iter().all(|r| r.code.starts_with(code)));
            assert!(data.grids.iter().all(|g| g.code.starts_with(code)));
            assert!(data.cameras.iter().all(|c| c.code.starts_with(code)));
            assert!(
                data.workers
                    .iter()
                    .flat_map(|w| &w.grids)
                    .all(|a| a.grid.starts_with(code))
            );
            for item in data.clone().into_items() {
                crate::with_item!(&item, v => v.validate()).expect("valid after the move");
            }
        }
        assert!(a.events[0].id.starts_with("C01-") && b.events[0].id.starts_with("C04-"));
        // Other seeds: other grids.
        assert_ne!(a.grids.len(), 0);
        let shapes = |d: &Dataset| -> Vec<usize> {
            d.grids
                .iter()
                .map(|g| g.area.0[0].exterior().0.len())
                .collect()
        };
        assert_ne!(shapes(&a), shapes(&b));
        // Apart on the lattice.
        let county_box = |d: &Dataset| {
            d.regions
                .iter()
                .find(|r| r.parent_code.is_none())
                .and_then(|r| r.area.bounding_rect())
                .expect("county box")
        };
        let (ra, rb) = (county_box(&a), county_box(&b));
        assert!(ra.max().x < rb.min().x || ra.max().y < rb.min().y);
    }
}
