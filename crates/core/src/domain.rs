//! Newtypes that are constructed only by parsing, so a value of the type is always valid.

use crate::Problem;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A URL-safe organisation, group or position identifier: `lillby`, `it-beredskap`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "krisledning", pattern = "^[a-z][a-z0-9-]{0,61}[a-z0-9]$")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::Problem::from(self.clone()))]
pub enum SlugError {
    Length,
    Start,
    Characters,
}

impl From<SlugError> for crate::Problem {
    fn from(e: SlugError) -> Self {
        match e {
            SlugError::Length => crate::Problem::SlugLength,
            SlugError::Start => crate::Problem::SlugStart,
            SlugError::Characters => crate::Problem::SlugCharacters,
        }
    }
}

impl Slug {
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim();
        if !(2..=63).contains(&s.len()) {
            return Err(SlugError::Length);
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(SlugError::Start);
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if !s.chars().all(allowed) || s.ends_with('-') {
            return Err(SlugError::Characters);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored number as people in `region` read it: `070-174 06 90` for their own country,
/// `+45 12 34 56 78` for another; a short number or anything unparsable as it is.
pub fn readable_number(number: &str, region: Region) -> String {
    let Ok(parsed) = phonenumber::parse(Some(region.country()), number) else {
        return number.to_owned();
    };
    if !number.starts_with('+') || !phonenumber::is_valid(&parsed) {
        return number.to_owned();
    }
    let home = parsed.country().id() == Some(region.country());
    let mode = match home {
        true => phonenumber::Mode::National,
        false => phonenumber::Mode::International,
    };
    parsed.format().mode(mode).to_string()
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Slug::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An email address, syntax-checked and stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Email, example = "anna.berg@lillby.se")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::Problem::NotAnEmail)]
pub struct EmailError;

impl From<EmailError> for crate::Problem {
    fn from(_: EmailError) -> Self {
        crate::Problem::NotAnEmail
    }
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        // `email_address` accepts forms people never type into a contact field
        // ("Name <a@b>", quoted local parts); require the plain addr-spec with a dotted domain.
        let plain = !s.contains(['<', '>', '"', ' ']);
        match email_address::EmailAddress::parse_with_options(s, Default::default()) {
            Ok(parsed) if plain && parsed.domain().contains('.') => Ok(Self(s.to_lowercase())),
            _ => Err(EmailError),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EmailAddress::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The country whose numbering plan applies to numbers written without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Region {
    Se,
    Dk,
    No,
    Fi,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Se => "SE",
            Region::Dk => "DK",
            Region::No => "NO",
            Region::Fi => "FI",
        }
    }

    pub fn parse(s: &str) -> Result<Self, RegionError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SE" => Ok(Region::Se),
            "DK" => Ok(Region::Dk),
            "NO" => Ok(Region::No),
            "FI" => Ok(Region::Fi),
            _ => Err(RegionError),
        }
    }

    /// The language most of the region's organisations work in: Finnish organisations
    /// with a Swedish-speaking staff are the ones that choose Beredskap in Swedish.
    pub fn language_code(self) -> &'static str {
        match self {
            Region::Se | Region::Fi => "sv",
            Region::Dk => "da",
            Region::No => "nb",
        }
    }

    /// Where most of the region's organisations keep their clocks.
    pub fn time_zone(self) -> TimeZone {
        TimeZone(match self {
            Region::Se => chrono_tz::Europe::Stockholm,
            Region::Dk => chrono_tz::Europe::Copenhagen,
            Region::No => chrono_tz::Europe::Oslo,
            Region::Fi => chrono_tz::Europe::Helsinki,
        })
    }

    fn country(self) -> phonenumber::country::Id {
        use phonenumber::country::Id;
        match self {
            Region::Se => Id::SE,
            Region::Dk => Id::DK,
            Region::No => Id::NO,
            Region::Fi => Id::FI,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::Problem::NotARegion)]
pub struct RegionError;

impl From<RegionError> for crate::Problem {
    fn from(_: RegionError) -> Self {
        crate::Problem::NotARegion
    }
}

/// A phone number in E.164 form (`+46701234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "+46701234567")]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::Problem::from(self.clone()))]
pub enum PhoneError {
    Unparsable,
    Invalid,
}

impl From<PhoneError> for crate::Problem {
    fn from(e: PhoneError) -> Self {
        match e {
            PhoneError::Unparsable => crate::Problem::NotAPhoneNumber,
            PhoneError::Invalid => crate::Problem::PhoneForCountry,
        }
    }
}

impl PhoneNumber {
    /// Parses a number as people write it: `070-123 45 67` with the organisation's region,
    /// or `+45 12 34 56 78` / `0045 …` with an explicit country code.
    pub fn parse(input: &str, region: Region) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let normalised = match trimmed.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => trimmed.to_owned(),
        };
        let number = phonenumber::parse(Some(region.country()), &normalised)
            .map_err(|_| PhoneError::Unparsable)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        Ok(Self(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// Accepts only a number already in E.164 form, as stored.
    pub fn parse_e164(input: &str) -> Result<Self, PhoneError> {
        if !input.starts_with('+') {
            return Err(PhoneError::Unparsable);
        }
        let parsed = Self::parse(input, Region::Se)?;
        if parsed.0 == input {
            Ok(parsed)
        } else {
            Err(PhoneError::Unparsable)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words() {
        assert!(Slug::parse("it-beredskap").is_ok());
        assert_eq!(Slug::parse("a"), Err(SlugError::Length));
        assert_eq!(Slug::parse("1abc"), Err(SlugError::Start));
        assert_eq!(Slug::parse("Krisledning"), Err(SlugError::Start));
        assert_eq!(Slug::parse("kris ledning"), Err(SlugError::Characters));
        assert_eq!(Slug::parse("kris-"), Err(SlugError::Characters));
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            EmailAddress::parse(" Anna.Berg@Lillby.SE ")
                .unwrap()
                .as_str(),
            "anna.berg@lillby.se"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@lillby.se",
            "anna@lillby",
            "Anna <a@b.se>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn phone_numbers_become_e164_in_the_organisations_region() {
        let se = |s| PhoneNumber::parse(s, Region::Se).map(|p| p.0);
        assert_eq!(se("070-123 45 67").unwrap(), "+46701234567");
        assert_eq!(se("+46 70 123 45 67").unwrap(), "+46701234567");
        assert_eq!(se("0046701234567").unwrap(), "+46701234567");
        assert_eq!(se("+45 20 12 34 56").unwrap(), "+4520123456");
        let dk = PhoneNumber::parse("20 12 34 56", Region::Dk).unwrap();
        assert_eq!(dk.as_str(), "+4520123456");
        assert!(se("hello").is_err());
        assert!(se("070-12").is_err());
        assert!(PhoneNumber::parse_e164("+46701234567").is_ok());
        assert!(PhoneNumber::parse_e164("0701234567").is_err());
    }
}

/// The time zone an organisation's pages, messages and exports show times in: an IANA name
/// (`Europe/Stockholm`), with its rules for summer time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(name: &str) -> Result<Self, Problem> {
        name.trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| Problem::NotATimeZone)
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The last minute of `day` on this zone's clock (23:59), as a moment.
    pub fn end_of_day(self, day: chrono::NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::TimeZone as _;
        let local = day.and_hms_opt(23, 59, 0)?;
        self.0
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    /// A moment read off this zone's clock; the earlier one in the hour the clocks go
    /// back, `None` for a time the clocks skip.
    pub fn moment(self, local: chrono::NaiveDateTime) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::TimeZone as _;
        self.0
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    /// Today's date on this zone's clock at `now`.
    pub fn today(self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        self.local(now).date_naive()
    }

    /// `t` on this zone's clock.
    pub fn local(self, t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono_tz::Tz> {
        t.with_timezone(&self.0)
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod readable_tests {
    use super::*;

    #[test]
    fn numbers_read_nationally_at_home_and_internationally_abroad() {
        assert_eq!(readable_number("+46701740690", Region::Se), "070-174 06 90");
        assert_eq!(
            readable_number("+46701740690", Region::Dk),
            "+46 70 174 06 90"
        );
        assert_eq!(readable_number("112", Region::Se), "112");
    }
}
