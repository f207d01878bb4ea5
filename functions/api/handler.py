"""Lambda entry for the buffered API routes: the one FastAPI app under Mangum.

Settings are read when the execution environment starts (module load is Lambda's init phase);
nothing here touches the network. The function runs with SnapStart: the init phase runs once per
published version, and each restored copy runs ``parley.snapstart``'s hooks first.
"""

from mangum import Mangum

from parley.app import create_app
from parley.snapstart import register_restore_hooks

register_restore_hooks()
handler = Mangum(create_app(), lifespan="off", api_gateway_base_path=None)
