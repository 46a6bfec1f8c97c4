//! The `PythonOption` keys mod_python reads itself (`mod_python.*`), checked when the
//! configuration is read, so that a bad value is a configuration error naming its file and
//! line rather than a surprise at run time. Other keys are the application's, unchecked.

use std::time::Duration;

/// `PythonOption mod_python.exit_thread_wait SECONDS`: how long an exiting child waits for
/// Python threads a handler left running (non-daemon `threading` threads) before it gives up
/// finalizing Python and ends. Server-wide, outside any section.
pub const EXIT_THREAD_WAIT: &str = "mod_python.exit_thread_wait";
/// `PythonOption mod_python.publisher.strict On`: the publisher serves only what a page
/// module defines or lists in `__all__`, never what it imported.
pub const PUBLISHER_STRICT: &str = "mod_python.publisher.strict";

/// The wait when none is configured (what the child always waited before it could be set).
pub const DEFAULT_EXIT_THREAD_WAIT: Duration = Duration::from_secs(3);
/// The longest wait accepted: a child's whole exit is bounded (httpd kills children still
/// there 9 s into a stop), and other work than this wait must fit in it too.
const MAX_EXIT_THREAD_WAIT: f64 = 5.0;

/// Checks `PythonOption key value` (`in_section`: inside `<Directory>`, `<Location>`, ...).
pub fn check(key: &str, value: Option<&str>, in_section: bool) -> Result<(), String> {
    let Some(value) = value else {
        return Ok(()); // removing a key is always allowed
    };
    match key {
        EXIT_THREAD_WAIT if in_section => Err(format!(
            "{EXIT_THREAD_WAIT} applies to the whole server: set it outside any section"
        )),
        EXIT_THREAD_WAIT => exit_thread_wait(value).map(drop),
        PUBLISHER_STRICT => flag(key, value).map(drop),
        _ => Ok(()),
    }
}

/// A number of seconds, 0 to 5 (fractions allowed).
pub fn exit_thread_wait(value: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{EXIT_THREAD_WAIT} takes seconds from 0 to {MAX_EXIT_THREAD_WAIT}, e.g. 0.5, not {value:?}"
        )
    };
    let text = value.trim();
    // Digits and one point only: no sign, exponent, "inf" or "nan" that f64 would accept.
    if text.is_empty()
        || !text.chars().all(|c| c.is_ascii_digit() || c == '.')
        || text.matches('.').count() > 1
        || text == "."
    {
        return Err(bad());
    }
    let seconds: f64 = text.parse().map_err(|_| bad())?;
    if !(0.0..=MAX_EXIT_THREAD_WAIT).contains(&seconds) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `On` or `Off`, in any case.
pub fn flag(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{key} takes On or Off, not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_thread_wait_is_seconds_from_0_to_5() {
        assert_eq!(exit_thread_wait("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(exit_thread_wait("0"), Ok(Duration::ZERO));
        assert_eq!(exit_thread_wait(" 5 "), Ok(Duration::from_secs(5)));
        for bad in [
            "", ".", "-1", "5.01", "inf", "NaN", "1e0", "+1", "1..2", "3s", "0x1",
        ] {
            assert!(exit_thread_wait(bad).is_err(), "{bad:?}");
        }
        assert!(check(EXIT_THREAD_WAIT, Some("1"), true).is_err());
        assert!(check(EXIT_THREAD_WAIT, Some("1"), false).is_ok());
        assert!(check(EXIT_THREAD_WAIT, None, true).is_ok());
    }

    #[test]
    fn strict_is_on_or_off_and_other_keys_are_the_application_s() {
        assert_eq!(flag(PUBLISHER_STRICT, "ON"), Ok(true));
        assert_eq!(flag(PUBLISHER_STRICT, "off"), Ok(false));
        assert!(check(PUBLISHER_STRICT, Some("yes"), true).is_err());
        assert!(check("mod_python.session.session_type", Some("anything"), true).is_ok());
        assert!(check("myapp.key", Some(""), false).is_ok());
    }
}
