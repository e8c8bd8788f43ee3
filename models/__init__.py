"""The default complaint-type model and its label files, shipped as `qa_audit.default_models`."""
