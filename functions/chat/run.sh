#!/bin/bash
# Handler of the streaming "chat" function. The Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)
# runs this script, waits for GET /health to answer, then proxies every invocation to uvicorn and
# streams the response body back (AWS_LWA_INVOKE_MODE=response_stream).
#
# uvicorn listens on loopback only: nothing but the adapter can reach it, which is why this function
# alone trusts the adapter's x-amzn-request-context header (PARLEY_TRUST_LWA_CONTEXT_HEADER=true).
# The app is the same one the "api" function serves under Mangum, built by its factory from the
# PARLEY_* environment (parley.heap.served_app: create_app() with the garbage collector off while the
# app's modules load). Code comes from the layers under /opt/python.
set -euo pipefail

PORT="${AWS_LWA_PORT:-${PORT:-8080}}"
export PYTHONPATH="${LAMBDA_TASK_ROOT:-.}:/opt/python${PYTHONPATH:+:$PYTHONPATH}${LAMBDA_RUNTIME_DIR:+:$LAMBDA_RUNTIME_DIR}"
export PATH="${PATH}:${LAMBDA_TASK_ROOT:-.}/bin"

exec python -m uvicorn --factory parley.heap:served_app \
    --host 127.0.0.1 --port "$PORT" \
    --no-access-log --no-server-header \
    --timeout-keep-alive 60
