//! Roles of API tokens and what each may change.

use serde::{Deserialize, Serialize};

use super::Layer;
use super::names::string_enum;

/// What a token holder is allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including tokens.
    Admin,
    /// Grid planners: regions, grids, workers, buildings, cameras.
    Planner,
    /// Patrol schedulers: patrol routes and events.
    Scheduler,
    /// Rectification teams: key areas and events.
    Rectification,
    /// Grid workers: events.
    Worker,
    /// Read only.
    Viewer,
}

string_enum!(Role, "role" {
    Admin => "admin",
    Planner => "planner",
    Scheduler => "scheduler",
    Rectification => "rectification",
    Worker => "worker",
    Viewer => "viewer",
});

impl Role {
    /// Whether this role sees workers' phone numbers unmasked: the roles that call or staff
    /// them. A viewer's dashboard and anyone without a token see them masked (PIPL: a phone
    /// number is personal information).
    #[must_use]
    pub fn sees_phones(self) -> bool {
        !matches!(self, Role::Viewer)
    }

    /// Whether this role may create, replace or delete items of `layer`.
    #[must_use]
    pub fn may_write(self, layer: Layer) -> bool {
        match self {
            Role::Admin => true,
            Role::Planner => matches!(
                layer,
                Layer::Region
                    | Layer::Grid
                    | Layer::Worker
                    | Layer::Building
                    | Layer::Camera
                    | Layer::Obstacle
                    | Layer::Road
            ),
            Role::Scheduler => matches!(layer, Layer::PatrolRoute | Layer::Event | Layer::Road),
            Role::Rectification => matches!(layer, Layer::KeyArea | Layer::Event),
            Role::Worker => layer == Layer::Event,
            Role::Viewer => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_writes_everything_and_viewer_nothing() {
        for layer in Layer::ALL {
            assert!(Role::Admin.may_write(layer));
            assert!(!Role::Viewer.may_write(layer));
        }
        assert!(Role::Planner.may_write(Layer::Grid));
        assert!(!Role::Worker.may_write(Layer::Grid));
        assert!(Role::Worker.may_write(Layer::Event));
        assert_eq!("planner".parse(), Ok(Role::Planner));
        assert!("root".parse::<Role>().is_err());
    }
}
