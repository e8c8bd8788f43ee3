"""The results store: audit runs, results, findings and reviewer verdicts in a database (SQLAlchemy).

Modules: schema (tables), migrate (versioned schema steps), connect (open a store), writer (record a
run), results (read results back), report / trends / precision (reports from the store), reviews
(import reviewer verdicts), sample (calibration samples). Import the one you need; this package
imports nothing, so that `qa-audit` starts without loading SQLAlchemy.
"""
