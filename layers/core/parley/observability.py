"""Logger and metrics shared by the core (Powertools: JSON logs, EMF metrics).

Never log tokens, secrets or message contents: ids, sizes, counts and codes only.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "parley"
NAMESPACE = "Parley"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
