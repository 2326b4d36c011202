//! Official codes: administrative division codes (GB/T 2260 + NBS 12-digit village codes), grid
//! codes (a village/community code plus a 3-digit serial, after the DB11 grid-code convention)
//! and GB/T 28181 device codes for cameras.

use super::{DomainError, DomainResult};

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a region code: 6 digits (county), 9 (town/street) or 12 (village/community).
///
/// # Errors
/// A [`DomainError`] on `field` for anything else.
pub fn check_region_code(field: &str, code: &str) -> DomainResult<()> {
    if all_digits(code) && matches!(code.len(), 6 | 9 | 12) {
        Ok(())
    } else {
        Err(DomainError::new(
            field,
            format!(
                "`{code}` is not a region code: 6 digits for a county, 9 for a town/street, 12 for a village/community"
            ),
        ))
    }
}

/// Checks a grid code: 15 digits, the 12-digit community code followed by a serial 001–999.
///
/// # Errors
/// A [`DomainError`] on `field` naming the rule broken.
pub fn check_grid_code(field: &str, code: &str) -> DomainResult<()> {
    if !all_digits(code) || code.len() != 15 {
        return Err(DomainError::new(
            field,
            format!(
                "`{code}` is not a grid code: 15 digits, the 12-digit village/community code then a 3-digit serial"
            ),
        ));
    }
    if &code[12..] == "000" {
        return Err(DomainError::new(
            field,
            format!("`{code}`: the grid serial (last 3 digits) must be 001-999"),
        ));
    }
    Ok(())
}

/// The community (12-digit) code a grid code starts with.
#[must_use]
pub fn community_of_grid(code: &str) -> &str {
    code.get(..12).unwrap_or(code)
}

/// Checks a GB/T 28181 device code: 20 digits.
///
/// # Errors
/// A [`DomainError`] on `field`.
pub fn check_device_code(field: &str, code: &str) -> DomainResult<()> {
    if all_digits(code) && code.len() == 20 {
        Ok(())
    } else {
        Err(DomainError::new(
            field,
            format!("`{code}` is not a GB/T 28181 device code: 20 digits"),
        ))
    }
}

/// GB/T 28181 type codes (digits 11–13) of cameras: 131 camera, 132 network camera (IPC).
pub const CAMERA_TYPE_CODES: [&str; 2] = ["131", "132"];

/// Checks a camera's GB/T 28181 code as an import does: 20 digits laid out as centre code
/// (digits 1–8: the 6-digit administrative division, then 2 digits of grassroots unit),
/// industry (9–10), type (11–13) and serial (14–20). The type must be a camera type
/// ([`CAMERA_TYPE_CODES`]) and, when `cities` is not empty, the 6-digit division must be one
/// of them (the city of the regions layer).
///
/// # Errors
/// A [`DomainError`] on `field` naming the rule broken.
///
/// # Examples
/// ```
/// use safegrid::domain::codes::check_camera_code;
/// let city = ["330783".to_owned()];
/// assert!(check_camera_code("code", "33078300001320000001", &city).is_ok());
/// assert!(check_camera_code("code", "33010200001320000001", &city).is_err()); // another city
/// assert!(check_camera_code("code", "33078300001180000001", &city).is_err()); // 118: not a camera
/// ```
pub fn check_camera_code(field: &str, code: &str, cities: &[String]) -> DomainResult<()> {
    check_device_code(field, code)?;
    let kind = &code[10..13];
    if !CAMERA_TYPE_CODES.contains(&kind) {
        return Err(DomainError::new(
            field,
            format!(
                "`{code}`: type code {kind} (digits 11-13) is not a camera; use 131 (camera) or 132 (network camera)"
            ),
        ));
    }
    let division = &code[..6];
    if !cities.is_empty() && !cities.iter().any(|c| c == division) {
        return Err(DomainError::new(
            field,
            format!(
                "`{code}`: administrative code {division} (digits 1-6) is outside the city ({})",
                cities.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Longest accepted server or client id.
pub const MAX_ID_LEN: usize = 64;

/// Checks an item id: empty (the server assigns one) or 1–64 visible characters without `/`,
/// `?`, `#` or whitespace, so that it fits in a URL path segment as it is.
///
/// # Errors
/// A [`DomainError`] on `id`.
pub fn check_id(id: &str) -> DomainResult<()> {
    let bad = id.chars().count() > MAX_ID_LEN
        || id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '/' | '?' | '#' | '%'));
    if bad {
        Err(DomainError::new(
            "id",
            format!(
                "ids are up to {MAX_ID_LEN} characters without spaces, control characters or / ? # %"
            ),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_by_length() {
        assert!(check_region_code("c", "330783").is_ok());
        assert!(check_region_code("c", "330783001").is_ok());
        assert!(check_region_code("c", "330783001014").is_ok());
        assert!(check_region_code("c", "33078300101").is_err());
        assert!(check_region_code("c", "33078300101x").is_err());
        assert!(check_grid_code("c", "330783001014001").is_ok());
        assert!(check_grid_code("c", "330783001014000").is_err());
        assert!(check_grid_code("c", "33078300101400").is_err());
        assert!(check_device_code("c", "33078300001320000001").is_ok());
        assert!(check_device_code("c", "3307830000132000000").is_err());
        assert_eq!(community_of_grid("330783001014001"), "330783001014");
        assert!(check_id("").is_ok());
        assert!(check_id("W000001").is_ok());
        assert!(check_id("东街-1").is_ok());
        assert!(check_id("a/b").is_err());
        assert!(check_id("a b").is_err());
        assert!(check_id(&"x".repeat(65)).is_err());
    }
}
