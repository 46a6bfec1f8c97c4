// The ANCHOR lines mark the parts docs/src/porting.md includes.
// ANCHOR: all
/*
 * mod_maintenance, in C: the module examples/ported/src/lib.rs ports to Rust (the guide's
 * "Porting a C module" sets the two side by side). tests/ported.rs builds this file with cc
 * against httpd's headers and checks that both modules answer the same.
 *
 *     Maintenance On | Off           per directory: answer 503 in this section
 *     MaintenanceMessage "text"      per directory: the body of the 503
 *     MaintenanceRetryAfter seconds  per directory: the Retry-After header
 *     SetHandler maintenance         the 503 page wherever it is set
 *
 * A fixup hook gives the requests of a section under maintenance to the module's handler.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

#include <errno.h>

#define DEFAULT_MESSAGE "This site is down for maintenance."

module AP_MODULE_DECLARE_DATA maintenance_module;

// ANCHOR: config
/* Unset fields (-1, NULL) inherit from the enclosing section when sections merge. */
typedef struct {
    int enabled;
    const char *message;
    apr_int64_t retry_after;
} maintenance_conf;

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    maintenance_conf *conf = apr_pcalloc(p, sizeof(*conf));
    conf->enabled = -1;
    conf->message = NULL;
    conf->retry_after = -1;
    return conf;
}

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    maintenance_conf *base = basev, *add = addv;
    maintenance_conf *conf = apr_palloc(p, sizeof(*conf));
    conf->enabled = add->enabled != -1 ? add->enabled : base->enabled;
    conf->message = add->message ? add->message : base->message;
    conf->retry_after = add->retry_after != -1 ? add->retry_after : base->retry_after;
    return conf;
}
// ANCHOR_END: config

// ANCHOR: directives
static const char *set_maintenance(cmd_parms *cmd, void *dconf, int on)
{
    maintenance_conf *conf = dconf;
    conf->enabled = on;
    return NULL;
}

static const char *set_message(cmd_parms *cmd, void *dconf, const char *text)
{
    maintenance_conf *conf = dconf;
    conf->message = text;  /* the configuration pool's copy, alive as long as conf */
    return NULL;
}

static const char *set_retry_after(cmd_parms *cmd, void *dconf, const char *arg)
{
    maintenance_conf *conf = dconf;
    char *end;
    apr_int64_t seconds;

    errno = 0;
    seconds = apr_strtoi64(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno != 0 || seconds < 0 || seconds > 4294967295LL) {
        return apr_psprintf(cmd->pool, "MaintenanceRetryAfter takes a number of seconds, "
                            "not '%s'", arg);
    }
    conf->retry_after = seconds;
    return NULL;
}

static const command_rec maintenance_cmds[] = {
    AP_INIT_FLAG("Maintenance", set_maintenance, NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                 "On to answer 503 in this section"),
    AP_INIT_TAKE1("MaintenanceMessage", set_message, NULL,
                  RSRC_CONF | ACCESS_CONF | OR_FILEINFO, "the text of the 503 page"),
    AP_INIT_TAKE1("MaintenanceRetryAfter", set_retry_after, NULL,
                  RSRC_CONF | ACCESS_CONF | OR_FILEINFO, "seconds, sent as Retry-After"),
    { NULL }
};
// ANCHOR_END: directives

// ANCHOR: fixup
/* Subrequests (mod_dir's index lookups, mod_include's includes) are left alone: the main
 * request is the one answered. */
static int maintenance_fixup(request_rec *r)
{
    maintenance_conf *conf = ap_get_module_config(r->per_dir_config, &maintenance_module);
    if (conf->enabled != 1 || r->main != NULL) {
        return DECLINED;
    }
    r->handler = "maintenance";
    return OK;
}
// ANCHOR_END: fixup

// ANCHOR: handler
static int maintenance_handler(request_rec *r)
{
    maintenance_conf *conf;

    if (r->handler == NULL || strcmp(r->handler, "maintenance") != 0) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &maintenance_module);
    r->status = HTTP_SERVICE_UNAVAILABLE;
    ap_set_content_type(r, "text/plain; charset=utf-8");
    if (conf->retry_after >= 0) {
        apr_table_setn(r->headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, conf->retry_after));
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "maintenance: 503 for %s", r->uri);
    if (!r->header_only) {
        if (ap_rvputs(r, conf->message ? conf->message : DEFAULT_MESSAGE, "\n", NULL) < 0) {
            return AP_FILTER_ERROR;  /* the client went away: nothing more can be sent */
        }
    }
    return OK;
}
// ANCHOR_END: handler

// ANCHOR: module
static void register_hooks(apr_pool_t *p)
{
    ap_hook_fixups(maintenance_fixup, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(maintenance_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(maintenance) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    NULL,
    NULL,
    maintenance_cmds,
    register_hooks
};
// ANCHOR_END: module
// ANCHOR_END: all
