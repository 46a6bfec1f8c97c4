//! `mod_reqinfo`: the Request API of apache-rs, one endpoint each, under `SetHandler reqinfo`:
//! `/ri/info`, `/ri/send`, `/ri/sub`, `/ri/redirect`, `/ri/auth`, `/ri/cgi`, `/ri/echo`.
//! `SetHandler reqinfo-file` serves the mapped file with validators and conditional answers.

use apache::{Error, HookResult, Request, Status};
use std::io::Write;

apache::module!(reqinfo_module, file: "mod_reqinfo.c");
apache::hook!(handler, reqinfo);

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
        "/ri/send" => {
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
        "/ri/auth" => match r.get_basic_auth_pw() {
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
            let env = r.subprocess_env();
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
        "/ri/echo" => {
            let body = r.read_body()?;
            write!(r, "{} bytes: ", body.len())?;
            r.write_all(&body)?;
            Ok(Status::Ok)
        }
        _ => Err(Error::new(404, format!("no reqinfo endpoint {path}"))),
    }
}

fn info(r: &mut Request) -> HookResult {
    let p = r.parsed_uri();
    let out = format!(
        "method={} number={} uri={} args={} unparsed={} protocol={} proto_num={} hostname={}\n\
         path={} query={} url={} initial={} main={} the_request={}\n",
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
    );
    r.write_all(out.as_bytes())?;
    Ok(Status::Ok)
}

/// Serves the mapped file with Last-Modified and ETag, answering conditional requests.
fn serve_file(r: &mut Request) -> HookResult {
    let finfo = r.finfo();
    if finfo.kind != Some(apache::response::FileKind::File) {
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
