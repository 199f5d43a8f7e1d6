"""Fixtures of the index AM integration tests: one real server per test module."""

import pytest

from . import helpers


def server_fixture(name, settings=None, fast=True):
    """Build a module-scoped fixture that starts one server and destroys it after the module."""

    @pytest.fixture(scope="module")
    def _server(request):
        if not helpers.have_build():
            pytest.skip("no PostgreSQL build at %s (run `make build`)" % helpers.BUILD_DIR)
        pg = helpers.start_server(name, settings, fast)
        request.addfinalizer(pg.destroy)
        return pg

    return _server


pg = server_fixture("idx")


@pytest.fixture(scope="module")
def conn(pg):
    c = pg.connect()
    yield c
    c.close()
