"""The email channel: parsing, loop guards, threading and outbound mail."""
