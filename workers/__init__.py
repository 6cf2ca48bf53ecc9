"""sohoa workers package."""
