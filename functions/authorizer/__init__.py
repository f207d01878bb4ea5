"""The authorizer Lambda entry: API Gateway asks it about every uncached bearer token."""
