"""sohoa signing package."""
