"""Lambda entry for the buffered API routes: the one FastAPI app under Mangum.

Settings are read when the execution environment starts (module load is Lambda's init phase);
nothing here touches the network.
"""

from mangum import Mangum

from parley.app import create_app

handler = Mangum(create_app(), lifespan="off", api_gateway_base_path=None)
