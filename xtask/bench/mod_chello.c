/* The C floor for `cargo xtask bench`: the cheapest content handler httpd allows, answering
 * the same bytes as examples/hello. */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

static int chello_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "chello") != 0) {
        return DECLINED;
    }
    ap_set_content_type(r, "text/plain");
    if (!r->header_only) {
        ap_rwrite("hello world\n", 12, r);
    }
    return OK;
}

static void chello_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(chello_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA chello_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, chello_register_hooks
};
