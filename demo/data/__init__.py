"""Query patterns and demo data for the Conduit models (Q147, Q148).

`articles` holds the article list (eager-loaded, and the N+1 anti-pattern beside it),
limit/offset and keyset pagination and the filters; `reports` the raw-SQL report;
`seed` the idempotent `flask seed` command; `instrumentation` the statement counter the
tests and the answers use to show how many SQL statements a piece of code runs.
"""
