"""The type of settings.MIDDLEWARE: a list in which a middleware is also found by the
name of a class it subclasses.

MIDDLEWARE names the subclasses of Django's middleware in playground/core/middleware.py.
Django's deployment checks look for its middleware by name
(`"django.middleware.security.SecurityMiddleware" in settings.MIDDLEWARE`), so in a plain
list they would take them for missing: warn that there is no security, clickjacking or
CSRF middleware, and, worse, say nothing of the settings those middleware read (HSTS, the
HTTPS redirect, secure cookies). Silencing the first warnings would not do: `run_checks()`
returns silenced messages too, and the rest would stay quiet. Django's admin checks
already count a subclass as the middleware; in this list its security checks do too, and
run unchanged. Django's handler only iterates over MIDDLEWARE, as over any list.
"""

from django.utils.module_loading import import_string


class MiddlewareList(list):
    def __contains__(self, name: object) -> bool:
        if super().__contains__(name):
            return True
        if not isinstance(name, str):
            return False
        try:
            wanted = import_string(name)
        except ImportError:
            return False
        return isinstance(wanted, type) and any(
            isinstance(middleware, type) and issubclass(middleware, wanted)
            for middleware in map(_imported, self)
        )


def _imported(path: str) -> object:
    try:
        return import_string(path)
    except ImportError:
        # Django names a MIDDLEWARE entry it cannot import as it builds the handler.
        return None
