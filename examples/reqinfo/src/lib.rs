//! `mod_reqinfo`: the Request API of apache-rs, one endpoint each, under `SetHandler reqinfo`:
//! `/ri/info`, `/ri/send`, `/ri/sub`, `/ri/redirect`, `/ri/auth`, `/ri/cgi`, `/ri/echo`,
//! `/ri/allow` (the `Allow` header of OPTIONS and 405 answers), `/ri/fields` (setting request
//! fields), `/ri/headers` (response metadata: encoding, languages, no-cache),
//! `/ri/length`, `/ri/chunked` (what httpd counted), `/ri/more` (rarer request fields, the
//! server record, `stat`, defines and the configuration tree), `/ri/ssl` (mod_ssl's view), `/ri/pool`
//! (the order sub-pool cleanups run in; `?panic-in-cleanup` makes one of them panic), `/ri/table` (repeated and case-insensitive keys).
//! `/ri/status` (a status and status line of its own), `/ri/chain` (an internal redirect to
//! `/ri/redirected`, which shows the request it came from), `/ri/sub-info` (a subrequest's view
//! of itself), `/ri/lookup-file` (a file subrequest), `/ri/discard` (the body thrown away),
//! `/ri/conn` (the connection, and the module's state for it, across kept-alive requests).
//! `SetHandler reqinfo-file` serves the mapped file with validators and conditional answers.
//! A `translate_name` hook maps `/ri-old/NAME` to `/ri/NAME` with `remapped=1` as query string;
//! a `log_transaction` hook logs `r->allowed` of `OPTIONS /ri/allow`.
#![forbid(unsafe_code)]

use apache::http::MethodMask;
use apache::{Error, HookResult, Request, Status};
use std::io::Write;

apache::module!(reqinfo_module, file: "mod_reqinfo.c");
apache::hook!(handler, reqinfo);
apache::hook!(translate_name, remap);
apache::hook!(log_transaction, log_allowed);

/// Logs `r->allowed` for `OPTIONS /ri/allow` once the core has answered it.
fn log_allowed(r: &mut Request) -> HookResult {
    if r.uri() == Some("/ri/allow") && r.method() == Some("OPTIONS") {
        log::info!("reqinfo: OPTIONS /ri/allow allowed={}", r.allowed());
    }
    Ok(Status::Declined)
}

/// Moves `/ri-old/NAME` to `/ri/NAME` before httpd maps the URI, replacing the query string
/// (or dropping it for `?drop`): the rest of httpd (Location sections, handlers) sees the new
/// URI, while `unparsed_uri` keeps what the client sent.
fn remap(r: &mut Request) -> HookResult {
    let Some(rest) = r.uri().and_then(|u| u.strip_prefix("/ri-old/")) else {
        return Ok(Status::Declined);
    };
    let uri = format!("/ri/{rest}");
    r.set_uri(&uri);
    if r.args() == Some("drop") {
        r.unset_args();
    } else {
        r.set_args("remapped=1");
    }
    // Let the core map the new URI to a file.
    Ok(Status::Declined)
}

fn reqinfo(r: &mut Request) -> HookResult {
    match r.handler() {
        Some("reqinfo") => {}
        Some("reqinfo-file") => return serve_file(r),
        _ => return Ok(Status::Declined),
    }
    r.set_content_type("text/plain");
    let path = r.uri().unwrap_or("").to_string();
    match path.as_str() {
        "/ri/info" => info(r),
        "/ri/send" | "/ri/on/send" => {
            // The kernel's sendfile is used only where EnableSendfile On applies.
            let mode = if r.sendfile_enabled() { "on" } else { "off" };
            r.headers_out_mut().set("X-Sendfile", mode);
            let root = r.document_root().unwrap_or("").to_string();
            r.sendfile(&format!("{root}/data.bin"), 2, Some(5))?;
            Ok(Status::Ok)
        }
        "/ri/sub" => {
            let (status, filename) = {
                let sub = r.lookup_uri("/page.html");
                (
                    sub.lookup_status(),
                    sub.filename().unwrap_or("").to_string(),
                )
            };
            writeln!(
                r,
                "lookup={status} file={}",
                filename.rsplit('/').next().unwrap_or("")
            )?;
            let mut sub = r.lookup_uri("/page.html");
            let ran = sub.run();
            drop(sub);
            write!(r, "\nrun={ran:?}\n")?;
            Ok(Status::Ok)
        }
        "/ri/redirect" => {
            r.internal_redirect("/page.html");
            Ok(Status::Ok)
        }
        "/ri/auth" => match r.basic_auth_pw() {
            Ok(pw) => {
                let pw = pw.to_string();
                let user = r.user().unwrap_or("").to_string();
                let name = r.auth_name().unwrap_or("").to_string();
                write!(r, "user={user} pw={pw} realm={name}")?;
                Ok(Status::Ok)
            }
            Err(status) => Ok(status),
        },
        "/ri/cgi" => {
            r.add_common_vars();
            r.add_cgi_vars();
            let env = r.subprocess_env_mut();
            let get = |k: &str| env.get(k).unwrap_or("-").to_string();
            let out = format!(
                "REQUEST_METHOD={} QUERY_STRING={} SCRIPT_NAME={} PATH_INFO={} SERVER_PROTOCOL={}",
                get("REQUEST_METHOD"),
                get("QUERY_STRING"),
                get("SCRIPT_NAME"),
                get("PATH_INFO"),
                get("SERVER_PROTOCOL")
            );
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        "/ri/echo" | "/ri/small/echo" => {
            // Small reads through std::io::Read: the reader hands out what it has, piece by
            // piece, whatever the framing.
            let mut body = Vec::new();
            let mut reads = 0;
            {
                let mut reader = r
                    .body()
                    .map_err(|s| Error::new(status_code(s), "the body cannot be read"))?;
                let mut piece = [0u8; 3];
                loop {
                    let n = std::io::Read::read(&mut reader, &mut piece)?;
                    if n == 0 {
                        break;
                    }
                    reads += 1;
                    body.extend_from_slice(&piece[..n]);
                }
            }
            log::info!("reqinfo: read {} bytes in {reads} reads", body.len());
            write!(r, "{} bytes: ", body.len())?;
            r.write_all(&body)?;
            Ok(Status::Ok)
        }
        "/ri/discard" | "/ri/small/discard" => match r.discard_request_body() {
            Status::Ok => {
                write!(r, "discarded, read_length={}", r.read_length())?;
                Ok(Status::Ok)
            }
            refused => Ok(refused),
        },
        "/ri/status" => {
            let before = r.status();
            r.set_status(299);
            r.set_status_line("299 Rusty Enough");
            let out = format!(
                "before={before} status={} line={}\n",
                r.status(),
                r.status_line().unwrap_or("-")
            );
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        "/ri/chain" => {
            r.internal_redirect("/ri/redirected?from=chain");
            Ok(Status::Ok)
        }
        "/ri/redirected" => {
            let prev = r.prev().map(|p| {
                let back = p.next().and_then(Request::uri).unwrap_or("-");
                format!("{} (its next: {back})", p.uri().unwrap_or("-"))
            });
            let out = format!(
                "uri={} args={} initial={} prev={}\n",
                r.uri().unwrap_or("-"),
                r.args().unwrap_or("-"),
                r.is_initial_req(),
                prev.as_deref().unwrap_or("none"),
            );
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        "/ri/sub-info" => {
            let mut sub = r.lookup_uri("/ri/info?from=sub");
            let status = sub.run();
            drop(sub);
            writeln!(r, "run={status:?}")?;
            Ok(Status::Ok)
        }
        "/ri/lookup-file" => {
            // Relative to this request's directory: the document root, as /ri is no file.
            let (status, file) = {
                let sub = r.lookup_file("page.html");
                let file = sub.filename().unwrap_or("-").rsplit('/').next();
                (sub.lookup_status(), file.unwrap_or("-").to_string())
            };
            writeln!(r, "lookup={status} file={file}")?;
            let mut sub = r.lookup_file("page.html");
            let uri = sub.uri().unwrap_or("-").to_string();
            let ran = sub.run();
            drop(sub);
            writeln!(r, "uri={uri} run={ran:?}")?;
            Ok(Status::Ok)
        }
        "/ri/conn" => conn(r),
        "/ri/more" => more(r),
        "/ri/allow" => allow(r),
        "/ri/pool" => pools(r),
        "/ri/table" => tables(r),
        "/ri/fields" => fields(r),
        "/ri/headers" => {
            r.set_content_encoding("x-demo");
            r.set_content_languages(&["en", "fr-CA"]);
            if r.args() == Some("no-cache") {
                r.set_no_cache(true);
            }
            let out = format!(
                "encoding={} languages={} no_cache={}\n",
                r.content_encoding().unwrap_or("-"),
                r.content_languages().join(","),
                r.no_cache()
            );
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        "/ri/length" => {
            r.set_content_length(6);
            let clength = r.clength().to_string();
            r.headers_out_mut().set("X-Clength", &clength);
            r.write_all(b"hello\n")?;
            Ok(Status::Ok)
        }
        "/ri/chunked" => {
            let before = (r.chunked(), r.bytes_sent());
            r.write_all(b"first line\n")?;
            // The headers and the first line go out: httpd has decided on chunking and
            // counted the bytes.
            r.flush()?;
            let out = format!(
                "before: chunked={} bytes_sent={}\nafter: chunked={} bytes_sent={}\n",
                before.0,
                before.1,
                r.chunked(),
                r.bytes_sent()
            );
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        "/ri/ssl" => {
            let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            let out = format!(
                "https={} conn_https={} SSL_PROTOCOL={} SSL_CIPHER={} HTTPS={} lib={} header={} conn_HTTPS={}\n",
                r.is_https(),
                r.connection().is_https(),
                show(r.ssl_var_lookup("SSL_PROTOCOL")),
                show(r.ssl_var_lookup("SSL_CIPHER")),
                show(r.ssl_var_lookup("HTTPS")),
                show(
                    r.ssl_var_lookup("SSL_VERSION_LIBRARY")
                        .map(|v| { v.split('/').next().unwrap_or("").to_string() })
                ),
                show(r.ssl_var_lookup("HTTP:X-Test")),
                show(r.connection().ssl_var_lookup("HTTPS")),
            );
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        _ => Err(Error::new(404, format!("no reqinfo endpoint {path}"))),
    }
}

fn status_code(s: Status) -> u16 {
    match s {
        Status::Http(code) => code,
        _ => 500,
    }
}

/// What this module keeps for a connection: how many of its requests it has seen.
#[derive(Default)]
struct ConnSeen(u32);

/// The connection as each of its requests sees it; the last line is written after the
/// headers went out, when httpd has decided whether to keep the connection alive.
fn conn(r: &mut Request) -> HookResult {
    let seen = {
        let state = r.connection_mut().state::<ConnSeen>();
        state.0 += 1;
        state.0
    };
    let c = r.connection();
    let first = format!(
        "seen={seen} id={} keepalives={} aborted={} local={}:{} client={}\n",
        c.id(),
        c.keepalives(),
        c.aborted(),
        c.local_ip().unwrap_or("-"),
        c.local_port(),
        c.client_ip().unwrap_or("-"),
    );
    r.write_all(first.as_bytes())?;
    r.flush()?;
    let keepalive = r.connection().keepalive();
    writeln!(r, "keepalive={keepalive}")?;
    Ok(Status::Ok)
}

/// GET answers with `r->allowed`; OPTIONS lists GET, PUT and PATCH in `Allow` (the core
/// answers it) and sets the DELETE bit of `r->allowed`, which does not reach `Allow`; any other
/// method gets a 405 whose `Allow` says GET and OPTIONS.
fn allow(r: &mut Request) -> HookResult {
    match r.method() {
        Some("GET") => {
            let out = format!("allowed={}\n", r.allowed());
            r.write_all(out.as_bytes())?;
            Ok(Status::Ok)
        }
        Some("OPTIONS") => {
            r.allow_methods(true, &["GET", "PUT"]);
            r.allow_methods(false, &["PATCH"]);
            r.set_allowed(r.allowed() | MethodMask::DELETE);
            Ok(Status::Declined)
        }
        _ => {
            r.allow_methods(true, &["GET", "OPTIONS"]);
            Ok(Status::Http(405))
        }
    }
}

/// Makes a tree of sub-pools under the request pool, with a cleanup in each, clears and drops
/// them, and answers with the order the cleanups ran in.
fn pools(r: &mut Request) -> HookResult {
    use std::sync::{Arc, Mutex};
    // Cleanups may run on another thread than the one that registered them (apache::Pool), so
    // what they share is an Arc and a Mutex.
    let ran = Arc::new(Mutex::new(Vec::<String>::new()));
    let push = |name: &str| ran.lock().unwrap().push(name.to_string());
    let note = |name: &str| {
        let ran = Arc::clone(&ran);
        let name = name.to_string();
        move || ran.lock().unwrap().push(name)
    };
    /// A value the pool owns: dropped when the pool goes.
    struct Owned(Option<Box<dyn FnOnce() + Send>>);
    impl Drop for Owned {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f()
            }
        }
    }
    if r.args() == Some("panic-in-cleanup") {
        // Cleanups run last registered first: the panic, then the note.
        let doomed = r.pool().sub_pool();
        doomed.on_cleanup(note("after the panic"));
        doomed.on_cleanup(|| panic!("a pool cleanup was asked to panic"));
    }
    {
        let parent = r.pool().sub_pool();
        parent.on_cleanup(note("parent"));
        {
            let mut child = parent.sub_pool();
            child.on_cleanup(note("child-1"));
            // Clearing runs the cleanups now; the pool stays usable.
            child.clear();
            push("cleared");
            child.on_cleanup(note("child-2"));
            child.alloc(Owned(Some(Box::new(note("child-value")))));
            // A sub-pool left to its parent goes with it, before the parent's own cleanups.
            let grandchild = child.sub_pool();
            grandchild.on_cleanup(note("grandchild"));
            std::mem::forget(grandchild);
        }
        push("child dropped");
    }
    push("parent dropped");
    // A string copied into the request pool lives as long as the borrow of the pool.
    let pooled = r.pool().alloc_str("in the request pool");
    let out = format!("{} pooled={pooled}\n", ran.lock().unwrap().join(","));
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}

/// Fills the response headers with repeated, merged and differently cased keys, and shows
/// what the table answers; the request's own `X-Dup` headers too.
fn tables(r: &mut Request) -> HookResult {
    let dup = r.headers_in().get_all("x-DUP").join("|");
    let t = r.headers_out_mut();
    t.add("X-Multi", "one");
    t.add("x-multi", "two");
    t.add("X-MULTI", "three");
    t.merge("X-Merged", "a");
    t.merge("x-merged", "b");
    t.set("X-Case", "first");
    t.set("x-CASE", "second");
    t.add("X-Gone", "soon");
    t.unset("x-gone");
    let entries: Vec<String> = t.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    let out = format!(
        "get={} all={} merged={} case={} contains={} gone={} dup={} iter={}\n",
        t.get("x-Multi").unwrap_or("-"),
        t.get_all("x-multi").join("|"),
        t.get("X-MERGED").unwrap_or("-"),
        t.get_all("X-case").join("|"),
        t.contains("X-CASE"),
        t.contains("X-Gone"),
        dup,
        entries.join(","),
    );
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}

/// Shows the request fields; `?set` first changes them with the setters.
fn fields(r: &mut Request) -> HookResult {
    if r.args() == Some("set") {
        r.set_uri("/new/uri");
        r.set_args("x=1&y=2");
        r.set_path_info("/more/path");
        r.set_canonical_filename("/canonical/file");
    }
    let out = format!(
        "uri={} args={} path_info={} canonical={} unparsed={}\n",
        r.uri().unwrap_or("-"),
        r.args().unwrap_or("-"),
        r.path_info().unwrap_or("-"),
        r.canonical_filename().unwrap_or("-"),
        r.unparsed_uri().unwrap_or("-"),
    );
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}

fn info(r: &mut Request) -> HookResult {
    let p = r.parsed_uri();
    let out = format!(
        "method={} number={} uri={} args={} unparsed={} protocol={} proto_num={} hostname={}\n\
         path={} query={} url={} initial={} main={} the_request={}\n\
         useragent_ip={} request_time={} status={} status_line={}\n",
        r.method().unwrap_or(""),
        r.method_number(),
        r.uri().unwrap_or(""),
        r.args().unwrap_or(""),
        r.unparsed_uri().unwrap_or(""),
        r.protocol().unwrap_or(""),
        r.proto_num(),
        r.hostname().unwrap_or(""),
        p.path.unwrap_or_default(),
        p.query.unwrap_or_default(),
        r.construct_url("/x"),
        r.is_initial_req(),
        r.main().is_some(),
        r.the_request().unwrap_or(""),
        r.useragent_ip().unwrap_or("-"),
        r.request_time(),
        r.status(),
        r.status_line().unwrap_or("-"),
    );
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}

/// Serves the mapped file with Last-Modified and ETag, answering conditional requests.
fn serve_file(r: &mut Request) -> HookResult {
    let finfo = r.finfo();
    if finfo.kind != Some(apache::http::FileKind::File) {
        return Ok(Status::Http(404));
    }
    r.update_mtime(finfo.mtime);
    r.set_last_modified();
    r.set_etag();
    match r.meets_conditions() {
        Status::Ok => {}
        other => return Ok(other),
    }
    r.set_content_type("text/html");
    // A subrequest's output joins its main request's response: its length is not the whole.
    if r.main().is_none() {
        r.set_content_length(finfo.size as u64);
    }
    let name = r.filename().unwrap_or("").to_string();
    if !r.header_only() {
        r.sendfile(&name, 0, None)?;
    }
    Ok(Status::Ok)
}

/// Rarer request fields, setters, the server record, `stat`, `-D` defines and the
/// configuration tree, one `name=value` per line.
fn more(r: &mut Request) -> HookResult {
    use apache::http::{FinfoFields, RemoteHost, stat};
    use apache::server;
    r.set_used_path_info(1);
    r.set_no_local_copy(true);
    r.set_proxyreq(0);
    r.set_ap_auth_type("Demo");
    r.allow_methods(false, &["GET", "FROB"]);
    let (mask, extra) = r.allowed_methods();
    let mut out = format!(
        "assbackwards={} proxyreq={} read_body={} read_chunked={} expecting_100={} \
         used_path_info={} eos_sent={} no_local_copy={} ap_auth_type={} vlist={:?} \
         sent_bodyct={}\n",
        r.assbackwards(),
        r.proxyreq(),
        r.read_body_policy(),
        r.read_chunked(),
        r.expecting_100(),
        r.used_path_info(),
        r.eos_sent(),
        r.no_local_copy(),
        r.ap_auth_type().unwrap_or("-"),
        r.vlist_validator(),
        r.sent_bodyct(),
    );
    out += &format!(
        "allowed_methods get={} extra={} xmethods={}\n",
        mask.contains(MethodMask::GET),
        extra.join(","),
        r.allowed_xmethods().len()
    );
    let (ip, is_ip) = r.remote_host(RemoteHost::NoLookup);
    out += &format!("remote nolookup={} is_ip={is_ip}\n", ip.unwrap_or("-"));
    out += &format!(
        "useragent port_matches={}\n",
        r.useragent_port() == r.connection().client_port()
    );
    let s = r.server();
    out += &format!(
        "server names={} wild={} error_fname={} loglevel={} path={:?} pathlen={}\n",
        s.names().join(","),
        s.wild_names().join(","),
        s.error_fname().is_some(),
        s.loglevel(),
        s.path(),
        s.pathlen()
    );
    r.notes_mut().set("demo-note", "kept");
    r.err_headers_out_mut().set("X-Err", "e");
    out += &format!(
        "read-only tables note={:?} err={:?} out={} env={}\n",
        r.notes().get("demo-note"),
        r.err_headers_out().get("X-Err"),
        r.headers_out().len(),
        r.subprocess_env().get("NOPE").is_none()
    );
    r.connection_mut().notes_mut().set("conn-note", "c");
    let c = r.connection();
    out += &format!("conn note={:?}\n", c.notes().get("conn-note"));
    out += &format!(
        "conn logname={:?} double_reverse={} keepalive_state={}\n",
        c.remote_logname(),
        c.double_reverse(),
        c.keepalive_state()
    );
    let root = r.document_root().unwrap_or("").to_string();
    let data = stat(&format!("{root}/data.bin"), FinfoFields::MIN);
    out += &format!(
        "stat size={:?} type={:?} missing={}\n",
        data.as_ref().map(|f| f.size),
        data.as_ref().map(|f| f.filetype),
        stat(&format!("{root}/nope"), FinfoFields::MIN).is_none()
    );
    let found = r.set_finfo_from(&format!("{root}/data.bin"), FinfoFields::MIN);
    out += &format!("finfo_from found={found} size={}\n", r.finfo().size);
    out += &format!(
        "define demo={} nope={} restart_time={}\n",
        server::exists_config_define("REQINFO_DEMO"),
        server::exists_config_define("REQINFO_NOPE"),
        server::restart_time().is_some_and(|t| t > 0)
    );
    let locations: Vec<String> = r
        .server()
        .config_tree()
        .filter(|n| n.directive().eq_ignore_ascii_case("<Location"))
        .map(|n| {
            let inside: Vec<&str> = n.children().map(|c| c.directive()).collect();
            format!("{}[{}]", n.args(), inside.join(","))
        })
        .collect();
    out += &format!("locations {}\n", locations.join(" "));
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}
