"""The default rule pack, shipped inside the package as `qa_audit.default_rules`."""
