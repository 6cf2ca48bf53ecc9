"""Core of sohoa: settings, domain types, errors and the pipeline that ties the parts together."""
