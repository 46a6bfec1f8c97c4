//! Any text as the arguments of mod_python's directives: parsed or refused, never a panic,
//! and what is accepted is well-formed (the properties of `src/config/properties.rs`, with
//! libFuzzer looking for the inputs that reach new code).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_python::config::{DirConf, FilterSpec, Phase, options, parse_handlers, parse_single};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for phase in Phase::ALL {
        if let Ok(specs) = parse_handlers(phase, text, Some("/srv")) {
            for h in &specs {
                assert!(!h.module.is_empty() && !h.module.contains(char::is_whitespace));
                assert!(!h.callable.is_empty() && !h.callable.contains(char::is_whitespace));
                let _ = h.applies_to(Some(text));
            }
        }
    }
    if let Ok(h) = parse_single(text, "handler", None) {
        assert!(!h.module.is_empty() && !h.module.contains(char::is_whitespace));
    }
    let _ = FilterSpec::parse(true, text, text, None);
    if let Ok(wait) = options::exit_thread_wait(text) {
        assert!(wait <= Duration::from_secs(5));
    }
    for key in [options::EXIT_THREAD_WAIT, options::PUBLISHER_STRICT, text] {
        let _ = options::check(key, Some(text), false);
    }
    let mut conf = DirConf::default();
    if conf.set_python_path(text).is_ok() {
        assert_eq!(conf.python_path.as_deref(), Some(text));
    }
    conf.add_option(text, Some(text));
    assert_eq!(conf.option(text).as_deref(), Some(text));
});
