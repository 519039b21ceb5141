"""nginx's idle connections to the replicas close before the replicas close them (deploy.replicas)."""

from __future__ import annotations

import inspect
import re

from deploy import replicas


def test_nginx_drops_idle_upstream_connections_before_the_app_server_does(tmp_path):
    import uvicorn
    from streamlit.web.server.starlette import starlette_server

    # what the replicas' server really uses: uvicorn's default, unless Streamlit passes its own
    kwargs = starlette_server._get_uvicorn_config_kwargs()
    app_s = kwargs.get("timeout_keep_alive", inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default)
    assert app_s == replicas.APP_KEEPALIVE_S

    text = replicas.render_config(tmp_path, "127.0.0.1:1", [2, 3])
    upstream = re.search(r"upstream cyc_app \{(.*?)\}", text, re.S).group(1)
    nginx_s = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))  # nginx's default is 60 s
    assert nginx_s < app_s
