"""Server-rendered portal pages on the API's own app: sign-in by session cookie, a person's plan in plain
language, and the oversight dashboard. Templates and the stylesheet are package data beside this file."""
