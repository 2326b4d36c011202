//! Grid workers (网格员) and their assignments to grids.

use serde::{Deserialize, Serialize};

use super::codes::check_grid_code;
use super::names::string_enum;
use super::{DomainError, DomainResult, Item, Layer, Problem};

/// A phone number masked for those who may not see it: the first three and the last four
/// digits kept (`138****1768`), fewer for a short number, every other character a `*`.
#[must_use]
pub fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let (head, tail) = if digits >= 11 {
        (3, 4)
    } else if digits >= 7 {
        (2, 2)
    } else {
        (0, 0)
    };
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= head || seen > digits - tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// A worker's role in the grid system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerRole {
    /// Full-time grid worker (专职网格员).
    FullTime,
    /// Part-time grid worker (兼职网格员).
    PartTime,
    /// Police liaison (网格民警).
    PoliceLiaison,
    /// Village/community cadre (村社干部).
    Cadre,
    /// Volunteer (志愿者).
    Volunteer,
}

string_enum!(WorkerRole, "role" {
    FullTime => "full_time",
    PartTime => "part_time",
    PoliceLiaison => "police_liaison",
    Cadre => "cadre",
    Volunteer => "volunteer",
});

/// A worker's duty in one grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// Grid leader (网格长).
    Leader,
    /// Full-time member (专职).
    FullTime,
    /// Part-time member (兼职).
    PartTime,
    /// Police liaison (网格指导员/民警).
    Police,
}

string_enum!(Duty, "duty" {
    Leader => "leader",
    FullTime => "full_time",
    PartTime => "part_time",
    Police => "police",
});

/// One grid a worker serves, with the duty there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Grid code.
    pub grid: String,
    /// Duty in that grid.
    pub duty: Duty,
}

/// A grid worker. Workers have no geometry; they reach the map through their grids.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    /// Identifier (assigned by the server when empty).
    #[serde(default)]
    pub id: String,
    /// Full name.
    pub name: String,
    /// Mobile phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Role.
    pub role: WorkerRole,
    /// Grids served (many-to-many).
    #[serde(default)]
    pub grids: Vec<Assignment>,
}

impl Item for Worker {
    const LAYER: Layer = Layer::Worker;

    fn key(&self) -> &str {
        &self.id
    }
    fn set_key(&mut self, key: String) {
        self.id = key;
    }
    fn geometry(&self) -> Option<geojson::Geometry> {
        None
    }
    fn set_geometry(&mut self, geometry: Option<&geojson::Geometry>) -> DomainResult<()> {
        match geometry {
            None => Ok(()),
            Some(_) => Err(DomainError::new(
                "geometry",
                "workers have no geometry; send null",
            )),
        }
    }
    fn validate(&self) -> DomainResult<()> {
        super::codes::check_id(&self.id)?;
        if self.name.trim().is_empty() {
            return Err(DomainError::of(
                Problem::Missing,
                "name",
                "must not be empty",
            ));
        }
        if let Some(phone) = &self.phone
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
        {
            return Err(DomainError::new(
                "phone",
                format!("`{phone}` is not a phone number"),
            ));
        }
        for (i, a) in self.grids.iter().enumerate() {
            check_grid_code(&format!("grids[{i}].grid"), &a.grid)?;
            if self.grids[..i].iter().any(|b| b.grid == a.grid) {
                return Err(DomainError::new(
                    format!("grids[{i}].grid"),
                    format!("grid `{}` is listed twice", a.grid),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    #[test]
    fn phones_keep_only_their_ends() {
        assert_eq!(mask_phone("13800001768"), "138****1768");
        assert_eq!(mask_phone("+86 138-0000-1768"), "+86 1**-****-1768");
        assert_eq!(mask_phone("0579-8666"), "05**-**66");
        assert_eq!(mask_phone("110"), "***");
    }
}
