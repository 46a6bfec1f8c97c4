# Filters and connection handlers: run by mod_python.so in each interpreter's
# mod_python._apache module after apache_objects.py, whose classes these build on. The native
# functions (flt_*, conn_*, req_register_filter, req_add_filter) reach the filter or the
# connection being served on this thread.


class mp_filter(object):
    """The filter object given to a PythonOutputFilter or PythonInputFilter callable, new for
    each call (each brigade of the response, or each read of the request body)."""

    softspace = 0

    def __init__(self, h, name, is_input, req, handler, dir):
        self._h = h
        self.name = name
        self.is_input = is_input
        self.req = req
        self.handler = handler
        self.dir = dir
        self.closed = 0

    def _check(self):
        if self.closed:
            raise ValueError("I/O operation on closed filter")

    def read(self, length=-1):
        """Up to `length` bytes (all there is without it); '' when this call's data is used
        up; None at the end of the stream (then close the filter)."""
        self._check()
        return flt_read(self._h, -1 if length is None else length, False)

    def readline(self, length=-1):
        self._check()
        return flt_read(self._h, -1 if length is None else length, True)

    def write(self, data):
        self._check()
        flt_write(self._h, data)

    def flush(self):
        flt_flush(self._h)

    def close(self):
        if not self.closed:
            flt_close(self._h)
            self.closed = 1

    def pass_on(self):
        flt_pass_on(self._h)

    def disable(self):
        flt_disable(self._h)


def _filter_dispatch(h, name, is_input, req, module_name, callable_name, directory, debug,
                     autoreload, python_path):
    """Runs a filter callable for one call. An exception is logged with its traceback (and,
    with PythonDebug On, written to the output); the filter is then disabled and data passes
    through untouched."""
    from mod_python import apache
    handler = "%s::%s" % (module_name, callable_name)
    filter = mp_filter(h, name, is_input, req, handler, directory)
    try:
        if python_path:
            apache._set_python_path(python_path)
        obj = apache._find_handler(module_name, callable_name, autoreload, directory,
                                   "filter " + name)
        obj(filter)
    except Exception:
        import sys
        import traceback
        text = traceback.format_exc()
        try:
            filter.disable()
        except Exception:
            pass
        kind = "PythonInputFilter" if is_input else "PythonOutputFilter"
        report = "mod_python: exception in %s %s (%s):\n%s" % (kind, name, handler, text)
        for line in report.rstrip().split("\n"):
            log_error(line, 3)
        if debug and not is_input and not filter.closed:
            # As mod_python 3.5: a 500 page with the traceback, when the headers have not
            # gone out yet; after them, the traceback is still written into the response.
            import html
            try:
                req.status = 500
                req.content_type = "text/html"
            except Exception:
                pass
            page = "\n<pre>\nMod_python error: \"%s %s\"\n\n" % (name, handler)
            for entry in traceback.format_exception(*sys.exc_info()):
                page += html.escape(entry) + "\n"
            try:
                filter.write(page + "</pre>\n")
                filter.flush()
            except Exception:
                pass
    finally:
        filter._h = 0


def _register_output_filter(self, filter_name, filter_handler, dir=None):
    """A filter for this request only, added with req.add_output_filter(filter_name)."""
    req_register_filter(self._h, False, filter_name, filter_handler, dir)


def _register_input_filter(self, filter_name, filter_handler, dir=None):
    req_register_filter(self._h, True, filter_name, filter_handler, dir)


def _add_output_filter(self, filter_name):
    """Adds a filter: one registered for this request, or any filter httpd knows."""
    req_add_filter(self._h, False, filter_name)


def _add_input_filter(self, filter_name):
    req_add_filter(self._h, True, filter_name)


mp_request.register_output_filter = _register_output_filter
mp_request.register_input_filter = _register_input_filter
mp_request.add_output_filter = _add_output_filter
mp_request.add_input_filter = _add_input_filter
del _register_output_filter, _register_input_filter, _add_output_filter, _add_input_filter


class mp_connection(mp_conn):
    """The connection a PythonConnectionHandler serves: mp_conn's attributes, and reading
    from and writing to the client."""

    __slots__ = ("_h",)

    def __init__(self, h, *fields):
        mp_conn.__init__(self, *fields)
        self._h = h

    def read(self, length=-1):
        """At most `length` bytes, waiting for at least one; without `length`, everything
        until the client closes. b'' at the end."""
        return conn_read(self._h, -1 if length is None else length)

    def readline(self, length=-1):
        """One line, with its newline, or its first `length` bytes; b'' at the end."""
        return conn_readline(self._h, -1 if length is None else length)

    def write(self, data):
        conn_write(self._h, data)


def _conn_dispatch(h, fields, module_name, callable_name, directory, autoreload, python_path):
    """Runs a PythonConnectionHandler; returns its result (apache.OK: served)."""
    from mod_python import apache
    conn = mp_connection(h, *fields)
    try:
        if python_path:
            apache._set_python_path(python_path)
        obj = apache._find_handler(module_name, callable_name, autoreload, directory,
                                   "PythonConnectionHandler")
        try:
            result = obj(conn)
        except apache.SERVER_RETURN as e:
            result = e.args[0] if e.args else apache.OK
        if not isinstance(result, int):
            raise TypeError("Connection handler '%s' returned invalid return code."
                            % callable_name)
        return result
    except Exception:
        import traceback
        report = "mod_python: exception in PythonConnectionHandler %s::%s:\n%s" % (
            module_name, callable_name, traceback.format_exc())
        for line in report.rstrip().split("\n"):
            log_error(line, 3)
        return apache.HTTP_INTERNAL_SERVER_ERROR
    finally:
        conn._h = 0
