# Types of mod_python.version: what this mod_python is and what it runs with. Inside httpd
# the versions are the running server's; outside it, what apxs says (empty without it).

version: str
HTTPD: str
HTTPD_VERSION: str
APR_VERSION: str
LIBEXECDIR: str
SYSCONFDIR: str
PYTHON_BIN: str
PYTHON_VERSION: str
