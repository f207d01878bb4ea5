"""DynamoDB (pynamodb) and S3 access. Nothing outside this package touches either directly."""
