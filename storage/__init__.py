"""sohoa storage package."""
