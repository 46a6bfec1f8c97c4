//! `mod_config`: configuration directives of every argument kind, merged per directory and per
//! server, shown by a handler (`SetHandler config-dump`) so each merge can be seen.
//!
//! Some directives are declared in a submodule (`more`): TAKE3 and TAKE23, one directive for
//! each `.htaccess` override class (`ConfigFor{Limit,Options,Auth,Indexes}`), one allowed only
//! inside sections (`ConfigDirOnly`), and `ConfigPanic`, which panics, to show that a panic
//! while the configuration is read is a configuration error. `ConfigGreeting panic-in-merge`
//! makes the merge of that section panic.
#![forbid(unsafe_code)]

use apache::module::{Context, Directive, DirectiveError, ModuleConfig};
use apache::{HookResult, Request, Status};
use std::io::Write;

/// Per-directory settings; `None` means "not set here, inherit".
#[derive(Default, Clone)]
struct DirConf {
    context: Option<String>,
    greeting: Option<String>,
    loud: Option<bool>,
    list: Vec<String>,
    pairs: Vec<(String, String)>,
    optional: Option<(String, Option<String>)>,
    triple: Option<(String, Option<String>, Option<String>)>,
    raw: Option<String>,
    reset_seen: bool,
    three: Option<(String, String, String)>,
    two_or_three: Option<(String, String, Option<String>)>,
    dir_only: Option<String>,
    overrides: Vec<String>,
}

impl ModuleConfig for DirConf {
    fn create(context: Option<&str>) -> Self {
        DirConf {
            context: context.map(str::to_string),
            ..Default::default()
        }
    }

    fn merge(base: &Self, add: &Self) -> Self {
        if add.greeting.as_deref() == Some("panic-in-merge") {
            panic!("asked to panic in merge");
        }
        // Lists accumulate down the tree unless the section resets them.
        let list = if add.reset_seen {
            add.list.clone()
        } else {
            base.list.iter().chain(&add.list).cloned().collect()
        };
        DirConf {
            context: add.context.clone().or_else(|| base.context.clone()),
            greeting: add.greeting.clone().or_else(|| base.greeting.clone()),
            loud: add.loud.or(base.loud),
            list,
            pairs: base.pairs.iter().chain(&add.pairs).cloned().collect(),
            optional: add.optional.clone().or_else(|| base.optional.clone()),
            triple: add.triple.clone().or_else(|| base.triple.clone()),
            raw: add.raw.clone().or_else(|| base.raw.clone()),
            reset_seen: add.reset_seen || base.reset_seen,
            three: add.three.clone().or_else(|| base.three.clone()),
            two_or_three: add
                .two_or_three
                .clone()
                .or_else(|| base.two_or_three.clone()),
            dir_only: add.dir_only.clone().or_else(|| base.dir_only.clone()),
            overrides: base
                .overrides
                .iter()
                .chain(&add.overrides)
                .cloned()
                .collect(),
        }
    }
}

/// Per-server settings: a virtual host overrides the main server's tag.
#[derive(Default, Clone)]
struct ServerConf {
    tag: Option<String>,
    limit: Option<u32>,
}

impl ModuleConfig for ServerConf {
    fn create(_: Option<&str>) -> Self {
        ServerConf::default()
    }

    fn merge(base: &Self, add: &Self) -> Self {
        ServerConf {
            tag: add.tag.clone().or_else(|| base.tag.clone()),
            limit: add.limit.or(base.limit),
        }
    }
}

apache::module!(config_module, file: "mod_config.c", dir_config: DirConf, server_config: ServerConf);

const ANYWHERE: Context = Context::RSRC_CONF
    .union(Context::ACCESS_CONF)
    .union(Context::OR_FILEINFO);

apache::directive!(
    ConfigGreeting,
    take1,
    |_: &mut Directive, c: &mut DirConf, v: &str| {
        c.greeting = Some(v.to_string());
        Ok(())
    },
    ANYWHERE,
    "the greeting shown by config-dump"
);
apache::directive!(
    ConfigLoud,
    flag,
    |_: &mut Directive, c: &mut DirConf, on: bool| {
        c.loud = Some(on);
        Ok(())
    },
    ANYWHERE,
    "On or Off"
);
apache::directive!(
    ConfigAppend,
    iterate,
    |_: &mut Directive, c: &mut DirConf, v: &str| {
        c.list.push(v.to_string());
        Ok(())
    },
    ANYWHERE,
    "words added to the list"
);
apache::directive!(
    ConfigReset,
    no_args,
    |_: &mut Directive, c: &mut DirConf| {
        c.list.clear();
        c.reset_seen = true;
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "forget the inherited list"
);
apache::directive!(
    ConfigPair,
    take2,
    |_: &mut Directive, c: &mut DirConf, k: &str, v: &str| {
        c.pairs.push((k.to_string(), v.to_string()));
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "a key and a value"
);
apache::directive!(
    ConfigMap,
    iterate2,
    |_: &mut Directive, c: &mut DirConf, k: &str, v: &str| {
        c.pairs.push((k.to_string(), v.to_string()));
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "a key and several values"
);
apache::directive!(
    ConfigOptional,
    take12,
    |_: &mut Directive, c: &mut DirConf, a: &str, b: Option<&str>| {
        c.optional = Some((a.to_string(), b.map(str::to_string)));
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "one or two words"
);
apache::directive!(
    ConfigTriple,
    take123,
    |_: &mut Directive, c: &mut DirConf, a: &str, b: Option<&str>, d: Option<&str>| {
        c.triple = Some((a.to_string(), b.map(str::to_string), d.map(str::to_string)));
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "one to three words"
);
apache::directive!(
    ConfigRaw,
    raw_args,
    |_: &mut Directive, c: &mut DirConf, rest: &str| {
        c.raw = Some(rest.to_string());
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "the rest of the line as written"
);
apache::directive!(
    ConfigOneOrThree,
    take13,
    |_: &mut Directive, c: &mut DirConf, a: &str, b: Option<&str>, d: Option<&str>| {
        c.triple = Some((a.to_string(), b.map(str::to_string), d.map(str::to_string)));
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "one or three words"
);
apache::directive!(
    ConfigWords,
    take_argv,
    |_: &mut Directive, c: &mut DirConf, words: &[&str]| {
        c.list.push(format!("argv:{}", words.join("+")));
        Ok(())
    },
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "any number of words"
);
apache::directive!(server ConfigServerTag, take1, |_: &mut Directive, s: &mut ServerConf, v: &str| {
    s.tag = Some(v.to_string());
    Ok(())
}, Context::RSRC_CONF, "a tag for this virtual host");
apache::directive!(server ConfigLimit, take1, set_limit, Context::RSRC_CONF, "a number from 1 to 100");

fn set_limit(cmd: &mut Directive, s: &mut ServerConf, v: &str) -> Result<(), DirectiveError> {
    cmd.check_context(apache::ffi::NOT_IN_DIR_LOC_FILE)?;
    match v.parse::<u32>() {
        Ok(n) if (1..=100).contains(&n) => {
            s.limit = Some(n);
            Ok(())
        }
        _ => Err(format!("{v:?} is not a number from 1 to 100").into()),
    }
}

/// Directives declared away from the module declaration: the directive table httpd reads is
/// complete however the crate is laid out.
mod more {
    use super::DirConf;
    use apache::module::{Context, Directive, DirectiveError};

    apache::directive!(
        ConfigThree,
        take3,
        |_: &mut Directive, c: &mut DirConf, a: &str, b: &str, d: &str| {
            c.three = Some((a.to_string(), b.to_string(), d.to_string()));
            Ok(())
        },
        Context::RSRC_CONF | Context::ACCESS_CONF,
        "exactly three words"
    );
    apache::directive!(
        ConfigTwoOrThree,
        take23,
        |_: &mut Directive, c: &mut DirConf, a: &str, b: &str, d: Option<&str>| {
            c.two_or_three = Some((a.to_string(), b.to_string(), d.map(str::to_string)));
            Ok(())
        },
        Context::RSRC_CONF | Context::ACCESS_CONF,
        "two or three words"
    );
    apache::directive!(
        ConfigDirOnly,
        take1,
        |_: &mut Directive, c: &mut DirConf, v: &str| {
            c.dir_only = Some(v.to_string());
            Ok(())
        },
        Context::ACCESS_CONF,
        "only inside <Directory>, <Location> and <Files>"
    );

    fn note_override(cmd: &mut Directive, c: &mut DirConf, v: &str) -> Result<(), DirectiveError> {
        c.overrides.push(format!("{}={v}", cmd.name()));
        Ok(())
    }
    apache::directive!(
        ConfigForLimit,
        take1,
        note_override,
        Context::OR_LIMIT,
        "allowed in .htaccess by AllowOverride Limit"
    );
    apache::directive!(
        ConfigForOptions,
        take1,
        note_override,
        Context::OR_OPTIONS,
        "allowed in .htaccess by AllowOverride Options"
    );
    apache::directive!(
        ConfigForAuth,
        take1,
        note_override,
        Context::OR_AUTHCFG,
        "allowed in .htaccess by AllowOverride AuthConfig"
    );
    apache::directive!(
        ConfigForIndexes,
        take1,
        note_override,
        Context::OR_INDEXES,
        "allowed in .htaccess by AllowOverride Indexes"
    );
    apache::directive!(
        ConfigPanic,
        no_args,
        |_: &mut Directive, _: &mut DirConf| -> Result<(), DirectiveError> {
            panic!("asked to panic while reading the configuration")
        },
        Context::RSRC_CONF | Context::ACCESS_CONF,
        "panics"
    );
}

apache::hook!(handler, dump);

fn dump(r: &mut Request) -> HookResult {
    if r.handler() != Some("config-dump") {
        return Ok(Status::Declined);
    }
    let mut out = String::new();
    if let Some(c) = r.dir_config::<ThisModule>() {
        out += &format!("context={}\n", c.context.as_deref().unwrap_or("-"));
        out += &format!("greeting={}\n", c.greeting.as_deref().unwrap_or("-"));
        out += &format!("loud={}\n", c.loud.map_or("-".into(), |b| b.to_string()));
        out += &format!("list={}\n", c.list.join(","));
        let pairs: Vec<String> = c.pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out += &format!("pairs={}\n", pairs.join(","));
        out += &format!("optional={:?}\n", c.optional);
        out += &format!("triple={:?}\n", c.triple);
        out += &format!("raw={}\n", c.raw.as_deref().unwrap_or("-"));
        out += &format!("three={:?}\n", c.three);
        out += &format!("two_or_three={:?}\n", c.two_or_three);
        out += &format!("dir_only={}\n", c.dir_only.as_deref().unwrap_or("-"));
        out += &format!("overrides={}\n", c.overrides.join(","));
    }
    // Other modules' configuration: core's SetHandler, and whether mod_mime keeps any here.
    out += &format!(
        "set_handler={} mime={} nosuch={}\n",
        r.configured_handler().unwrap_or("-"),
        r.module_dir_config_raw(c"mod_mime.c").is_some(),
        r.module_dir_config_raw(c"mod_nosuch.c").is_some(),
    );
    // Every server of the configuration, from the main one: each virtual host in turn.
    let servers: Vec<String> = apache::Server::with_main(|main| {
        main.iter()
            .map(|s| {
                let tag = s.module_config::<ThisModule>().and_then(|c| c.tag.clone());
                format!(
                    "{}{}[{}]",
                    s.server_hostname().unwrap_or("-"),
                    if s.is_virtual() { "(vhost)" } else { "" },
                    tag.as_deref().unwrap_or("-")
                )
            })
            .collect()
    })
    .unwrap_or_default();
    out += &format!("servers={}\n", servers.join(","));
    if let Some(s) = r.server().module_config::<ThisModule>() {
        out += &format!("server_tag={}\n", s.tag.as_deref().unwrap_or("-"));
        out += &format!("limit={}\n", s.limit.map_or("-".into(), |n| n.to_string()));
    }
    r.set_content_type("text/plain");
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}
