"""Rate limits by tier and the usage ledger (messages, tokens, dollars), atomically in DynamoDB."""
