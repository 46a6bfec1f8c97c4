//! Property tests of the directives' argument parsers: whatever text a configuration holds,
//! parsing gives a handler list or an error (never a panic), what it accepts is well-formed,
//! and what is written in the documented form reads back as written. 256 cases each by
//! default; `PROPTEST_CASES` asks for more (`cargo xtask soak --fuzz` does).

use super::options::{self, EXIT_THREAD_WAIT, PUBLISHER_STRICT};
use super::{DirConf, FilterSpec, Phase, parse_handlers, parse_single};
use proptest::prelude::*;
use std::time::Duration;

/// A Python dotted name, as a module or callable is written.
fn dotted() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,7}(\\.[A-Za-z_][A-Za-z0-9_]{0,7}){0,2}"
}

/// Any text a directive's arguments could hold: printable ASCII, white space, non-ASCII,
/// and the separators the parsers look for.
fn any_args() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("::".to_string()),
            Just("|".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just(".".to_string()),
            "[ -~]{1,6}",
            "\\PC{1,3}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn phase() -> impl Strategy<Value = Phase> {
    prop::sample::select(Phase::ALL.to_vec())
}

proptest! {
    #[test]
    fn handler_arguments_parse_or_are_refused_never_panic(args in any_args(), p in phase()) {
        if let Ok(specs) = parse_handlers(p, &args, None) {
            prop_assert!(!specs.is_empty());
            for h in &specs {
                prop_assert!(!h.module.is_empty());
                prop_assert!(!h.module.contains(char::is_whitespace));
                prop_assert!(!h.callable.is_empty());
                prop_assert!(!h.callable.contains(char::is_whitespace));
                prop_assert!(!h.module.contains('|'));
            }
        }
    }

    #[test]
    fn handler_lists_read_back_as_written(
        names in prop::collection::vec((dotted(), prop::option::of(dotted())), 1..5),
        exts in prop::collection::vec("\\.[a-z]{1,4}", 0..3),
        p in phase(),
    ) {
        let mut args: Vec<String> = names
            .iter()
            .map(|(m, c)| match c {
                Some(c) => format!("{m}::{c}"),
                None => m.clone(),
            })
            .collect();
        if !exts.is_empty() {
            args.push(format!("| {}", exts.join(" ")));
        }
        let specs = parse_handlers(p, &args.join(" "), Some("/srv/app")).unwrap();
        prop_assert_eq!(specs.len(), names.len());
        for (h, (m, c)) in specs.iter().zip(&names) {
            prop_assert_eq!(&h.module, m);
            let want = c.clone().unwrap_or_else(|| p.default_callable());
            prop_assert_eq!(&h.callable, &want);
            prop_assert_eq!(&h.extensions, &exts);
            prop_assert_eq!(h.directory.as_deref(), Some("/srv/app"));
            for e in &exts {
                let file = format!("/srv/app/page{e}");
                prop_assert!(h.applies_to(Some(&file)));
            }
        }
    }

    #[test]
    fn single_handlers_and_filters_parse_or_are_refused(
        args in any_args(),
        name in "[ -~]{0,12}",
        is_input in any::<bool>(),
    ) {
        if let Ok(h) = parse_single(&args, "default", None) {
            prop_assert!(!h.module.is_empty());
            prop_assert!(!h.module.contains(char::is_whitespace));
            prop_assert!(!h.callable.is_empty());
        }
        if let Ok(f) = FilterSpec::parse(is_input, &args, &name, None) {
            prop_assert_eq!(f.is_input, is_input);
            prop_assert_eq!(&f.name, &name);
        }
    }

    #[test]
    fn the_exit_thread_wait_accepts_exactly_seconds_from_0_to_5(
        text in any_args(),
        millis in 0u64..=5000,
    ) {
        if let Ok(d) = options::exit_thread_wait(&text) {
            prop_assert!(d <= Duration::from_secs(5));
        }
        let written = format!("{}.{:03}", millis / 1000, millis % 1000);
        prop_assert_eq!(options::exit_thread_wait(&written), Ok(Duration::from_millis(millis)));
        let over = format!("5.{:03}", millis % 1000 + 1);
        prop_assert!(options::exit_thread_wait(&over).is_err());
    }

    #[test]
    fn option_values_are_checked_only_for_mod_python_s_own_keys(
        key in "[a-z_.]{1,24}",
        value in prop::option::of(any_args()),
        in_section in any::<bool>(),
    ) {
        let checked = options::check(&key, value.as_deref(), in_section);
        if key != EXIT_THREAD_WAIT && key != PUBLISHER_STRICT {
            prop_assert!(checked.is_ok());
        }
        if value.is_none() {
            prop_assert!(checked.is_ok());
        }
    }

    #[test]
    fn the_strict_flag_is_on_or_off_in_any_case(
        word in prop::sample::select(vec!["on", "off"]),
        upper in prop::collection::vec(any::<bool>(), 3),
    ) {
        let written: String = word
            .chars()
            .zip(upper.iter().chain(std::iter::repeat(&false)))
            .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
            .collect();
        prop_assert_eq!(options::flag(PUBLISHER_STRICT, &written), Ok(word == "on"));
    }

    #[test]
    fn options_in_effect_are_the_last_setting_of_each_key(
        settings in prop::collection::vec(
            (prop::sample::select(vec!["a", "b", "c"]), prop::option::of("[a-z0-9]{0,4}")),
            0..12,
        ),
    ) {
        let mut conf = DirConf::default();
        for (k, v) in &settings {
            conf.add_option(k, v.as_deref());
        }
        for key in ["a", "b", "c"] {
            let last = settings.iter().rev().find(|(k, _)| *k == key).and_then(|(_, v)| v.clone());
            prop_assert_eq!(conf.option(key), last);
        }
    }

    #[test]
    fn a_python_path_is_refused_or_kept_as_written(expr in any_args()) {
        let mut conf = DirConf::default();
        match conf.set_python_path(&expr) {
            Ok(()) => prop_assert_eq!(conf.python_path.as_deref(), Some(expr.as_str())),
            Err(e) => prop_assert!(e.contains("not a Python list expression")),
        }
    }
}
