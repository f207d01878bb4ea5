"""Lambda entry for the buffered API routes: the one FastAPI app under Mangum.

Settings are read when the execution environment starts (module load is Lambda's init phase);
nothing here touches the network. The function runs with SnapStart: the init phase runs once per
published version, and each restored copy runs ``parley.snapstart``'s hooks first (the snapshot is
taken after the routes were built: see the ``warm`` hook).
Every log line of an invocation carries API Gateway's request id (``correlation_id``; a REST
API, so ``requestContext.requestId``).
"""

import gc

gc.disable()  # start-up runs without the garbage collector: see parley.heap

from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from parley.api.lazy_routes import build_routes
from parley.app import create_app
from parley.heap import after_start_up
from parley.observability import lambda_entry
from parley.settings import Settings
from parley.snapstart import register_restore_hooks

_settings = Settings.from_env()
_app = create_app(_settings)
# Routes are built on first use; before the snapshot, so that no restored copy builds one.
register_restore_hooks(warm=lambda: build_routes(_app))
handler = lambda_entry(_settings, Mangum(_app, lifespan="off", api_gateway_base_path=None),
                       correlation_id_path=correlation_paths.API_GATEWAY_REST)

after_start_up()
