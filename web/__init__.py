"""Pages for people: reception, back office, citizens and leaders (same app, same pipeline)."""
