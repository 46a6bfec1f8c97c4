"""Published by mod_python.publisher in `cargo xtask demo`: each function is a URL.

    /pyapp/shop.py            -> index()
    /pyapp/shop.py/greet?name=Ada
    /pyapp/shop.py/order      (POST a form: item=tea&qty=2)
"""


def index():
    return "<html><body><p>The demo shop: try greet?name=Ada, or POST to order.</p></body></html>"


def greet(req, name="stranger"):
    return "hello, %s (from %s)\n" % (name, req.connection.remote_ip)


def order(item, qty="1"):
    return "%s x %s ordered\n" % (qty, item)
