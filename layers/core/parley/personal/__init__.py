"""What a user keeps across conversations: custom instructions and memories."""
