"""The current plan: each person's plans, capacity, representatives, advance decisions and who cares for them,
as one document the API reads. Its DDL (ddl.py), how a batch of events changes it (batch.py), the document
selected from the record's state (document.py), and its queries with the row they return (queries.py)."""
