"""Read models, each named after the question it answers, built from the event stream with psycopg2."""
