"""Local mode: the app on real servers (DynamoDB Local, an S3 server) that persist under a data directory."""
